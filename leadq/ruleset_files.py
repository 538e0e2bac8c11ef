"""Ruleset files: their text, the rulesets built into the package, and ``extends`` merged in.

What :mod:`leadq.ruleset_loader` reads: one YAML mapping per ruleset, whose keys
keep the file positions of the file that wrote them (a child's or a parent's),
so that an error anywhere in the chain points at the right line.
"""

from __future__ import annotations

import codecs
from importlib import resources
from pathlib import Path

from leadq.errors import Position, RulesetError, did_you_mean
from leadq.yamlsource import YMap, load_yaml

MAX_EXTENDS_DEPTH = 5
# The name a ruleset read from standard input goes by in messages; its `extends` is found in the working directory.
STDIN_RULESET = "<stdin>"
# Sections whose keys merge with the parent's under `extends` (others replace it).
MERGED_SECTIONS = {"columns", "account_columns", "activity_columns", "settings", "lists", "funnel"}
# Sections every ruleset has: an inherited one can be replaced, not left out.
REQUIRED_SECTIONS = {"columns", "tiers"}


def read_ruleset_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(2_000_001)
    except FileNotFoundError:
        raise RulesetError("ruleset file not found", Position(path)) from None
    except IsADirectoryError:
        raise RulesetError("is a directory; give the ruleset's .yaml file", Position(path)) from None
    except PermissionError:
        raise RulesetError("cannot read the ruleset: permission denied", Position(path)) from None
    except OSError as exc:
        raise RulesetError(f"cannot read the ruleset: {exc.strerror}", Position(path)) from None
    return decode_yaml_text(raw, path, "ruleset")


def decode_yaml_text(raw: bytes, path: str, what: str) -> str:
    """The text of a YAML file (``what``: "ruleset", "cases file"): UTF-8 with or without a BOM, or
    UTF-16 with one; any other bytes a RulesetError naming the line."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # YAML admits UTF-16 with a byte-order mark: what Windows' Notepad saves as "Unicode".
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RulesetError(f"{what} is not valid UTF-16 text (byte {exc.start}); save it as UTF-8",
                               Position(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RulesetError(f"{what} is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}, perhaps "
                           "Windows-1252 or Latin-1); save it as UTF-8", Position(path, line)) from None


def builtin_ruleset_path(name: str) -> str | None:
    """Path of a ruleset shipped inside the package (``b2b_saas`` ...), or None."""
    stem = name[:-5] if name.endswith(".yaml") else name
    ref = resources.files("leadq") / "rulesets" / f"{stem}.yaml"
    try:
        with resources.as_file(ref) as p:
            return str(p) if Path(p).is_file() else None
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def builtin_ruleset_names() -> list[str]:
    """Names of the rulesets shipped inside the package."""
    folder = resources.files("leadq") / "rulesets"
    try:
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def resolve_extends(base: str, current: str, pos: Position) -> str:
    candidate = Path(current).parent / base
    if candidate.is_file():
        return str(candidate)
    builtin = builtin_ruleset_path(base)
    if builtin:
        return builtin
    stdin = current == STDIN_RULESET
    where = "in the working directory" if stdin else "next to this file"
    hint = "; a ruleset read from stdin has no folder of its own: give the path from the working directory"
    # `leadq init --template b2b-saas` spells the templates with dashes; the built-in rulesets take underscores.
    stem = Path(base).name.lower().removesuffix(".yaml").removesuffix(".yml").replace("-", "_").replace(" ", "_")
    close = did_you_mean(stem, builtin_ruleset_names()) if "/" not in base else ""
    raise RulesetError(f"extends: cannot find '{base}' {where} or among the built-in rulesets "
                       f"({', '.join(builtin_ruleset_names())}){close}{hint if stdin else ''}", pos)


def load_merged(path: str, depth: int = 0, seen: tuple[str, ...] = (), text: str | None = None) -> YMap:
    """The ruleset file's YAML mapping with the rulesets it ``extends`` merged in, keeping every position.

    A section in :data:`MERGED_SECTIONS` merges key by key with the parent's;
    any other replaces it, and a null one (``accounts: null``) removes the parent's. Top-level keys are checked by the loader, on the result.
    ``text``: the ruleset's text when it is not read from ``path`` (stdin, :data:`STDIN_RULESET`).
    """
    real = str(Path(path).resolve())
    data = load_yaml(read_ruleset_text(path) if text is None else text, path)
    if data is None:
        raise RulesetError("ruleset file is empty", Position(path))
    if not isinstance(data, YMap):
        raise RulesetError("a ruleset must be a YAML mapping (keys such as fit:, intent:, tiers:)", Position(path))
    if "extends" not in data:
        return data
    base = data["extends"]
    if not isinstance(base, str):
        raise RulesetError("extends: give the file name of the ruleset to build on", data.value_pos["extends"])
    pos = data.value_pos["extends"]
    parent_path = resolve_extends(base, path, pos)
    chain = seen + (real,)
    # Said where the chain is closed or made too long, with the files it runs through.
    if str(Path(parent_path).resolve()) in chain:
        start = chain.index(str(Path(parent_path).resolve()))
        names = " -> ".join(Path(p).name for p in chain[start:] + (parent_path,))
        raise RulesetError(f"extends: the rulesets extend each other in a cycle ({names}); remove one of these "
                           "extends", pos)
    if depth + 1 > MAX_EXTENDS_DEPTH:
        names = " -> ".join(Path(p).name for p in chain + (parent_path,))
        raise RulesetError(f"extends: more than {MAX_EXTENDS_DEPTH} levels deep ({names}); copy a parent's "
                           "rules into its child to shorten the chain", pos)
    parent = load_merged(parent_path, depth + 1, chain)
    merged = YMap(parent)
    merged.pos = data.pos
    merged.key_pos = dict(parent.key_pos)
    merged.value_pos = dict(parent.value_pos)
    merged.value_style = dict(parent.value_style)
    for key, value in data.items():
        if key == "extends":
            continue
        if value is None and key in parent and key not in MERGED_SECTIONS:
            # `accounts: null`: this ruleset has no such section, whatever the parent's says.
            del merged[key]
            for positions in (merged.key_pos, merged.value_pos, merged.value_style):
                positions.pop(key, None)
            continue
        if key in MERGED_SECTIONS and isinstance(value, YMap) and isinstance(parent.get(key), YMap):
            combined = YMap(parent[key])
            combined.pos = value.pos
            combined.key_pos = {**parent[key].key_pos, **value.key_pos}
            combined.value_pos = {**parent[key].value_pos, **value.value_pos}
            combined.value_style = {**parent[key].value_style, **value.value_style}
            combined.update(value)
            merged[key] = combined
        else:
            merged[key] = value
        merged.key_pos[key] = data.key_pos[key]
        merged.value_pos[key] = data.value_pos[key]
        merged.value_style[key] = data.value_style[key]
    return merged


def inherited_section_hint(path: str, data: YMap, error: Position) -> str:
    """What to do about an error in a section a ruleset inherits through ``extends``, or "".

    The parent's section reads the ruleset as this one makes it: the rules it names may be
    gone (this ruleset replaced ``fit:``), and the error points into the parent's file, which
    is not the one to edit.
    """
    if not error.path or error.path == path or not error.line:
        return ""
    try:
        parent = load_yaml(read_ruleset_text(error.path), error.path)
    except RulesetError:
        return ""
    if not isinstance(parent, YMap):
        return ""
    above = [(pos.line, key) for key, pos in parent.key_pos.items() if pos.line <= error.line]
    if not above:
        return ""
    section = max(above)[1]
    inherited = data.value_pos.get(section)
    if section in MERGED_SECTIONS or section == "extends" or inherited is None or inherited.path != error.path:
        return ""
    leave_out = "" if section in REQUIRED_SECTIONS else f", or '{section}: null' there to leave it out"
    return (f"; the '{section}' section comes from {Path(error.path).name} through extends, and reads this "
            f"ruleset's rules and tiers: write your own '{section}:' section in {Path(path).name}{leave_out}")
