"""Starter rulesets for ``leadq init``: commented templates shipped as package data.

Each template (``leadq/rulesets/templates/<name>.yaml``) is a complete,
loadable ruleset with the ICP checklist (firmographics, technographics, role,
behaviour) and the questions a team answers before its first run, written as
comments next to the rules they shape.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from leadq.errors import UsageError, did_you_mean, one_of

DEFAULT_TEMPLATE = "b2b-saas"
DEFAULT_PATH = "leadq.yaml"


def _folder():
    return resources.files("leadq") / "rulesets" / "templates"


def template_names() -> list[str]:
    """Names of the shipped templates, sorted."""
    try:
        return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):  # pragma: no cover - packaging error
        return []


def template_text(name: str) -> str:
    """The YAML text of a template.

    Raises:
        UsageError: unknown template name (with the names that exist).
    """
    names = template_names()
    if name not in names:
        raise UsageError(f"--template: unknown template '{name}'{did_you_mean(name, names)}; {one_of(names)}")
    return (_folder() / f"{name}.yaml").read_text(encoding="utf-8")


def template_summary(name: str) -> str:
    """The first comment line of a template, without the ``# leadq starter ruleset:`` prefix."""
    first = template_text(name).splitlines()[0].lstrip("# ").strip()
    text = first.split(":", 1)[1].strip() if ":" in first else first
    return text[:1].upper() + text[1:]


def write_template(name: str, path: str = DEFAULT_PATH, *, force: bool = False) -> str:
    """Write a template to ``path``; refuse to overwrite an existing file unless ``force``.

    Returns:
        The path written.

    Raises:
        UsageError: unknown template, ``path`` is empty, or it exists and ``force`` is not given.
        OutputError: the file cannot be written (from :func:`leadq.outputs.write_text`).
    """
    text = template_text(name)
    if not path.strip():  # an unset shell variable ("$OUT"): not the default path, nor the current folder
        raise UsageError(f"PATH is empty; give the file to write (leave it out for {DEFAULT_PATH}, '-' for stdout)")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path} is a directory; give the file name to write, e.g. {Path(path) / DEFAULT_PATH}")
    if target.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it, or give another path")
    from leadq.outputs import write_text  # atomic: a failed write never leaves half a ruleset

    write_text(str(target), text)
    return str(target)
