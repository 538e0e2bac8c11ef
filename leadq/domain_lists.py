"""Built-in lists of e-mail domains shipped as package data under ``leadq/data/``.

Each list is a text file with one lowercase domain per line; blank lines and
``#`` comments (whole-line or trailing) are ignored.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from leadq.errors import did_you_mean, one_of

BUILTIN_LISTS = ("personal_email_domains", "disposable_email_domains")


@cache
def load_builtin_list(name: str) -> tuple[str, ...]:
    """Read a built-in domain list.

    Args:
        name: One of ``BUILTIN_LISTS``.

    Returns:
        The domains in file order, lowercased, without duplicates.

    Raises:
        ValueError: if ``name`` is not a built-in list.
    """
    if name not in BUILTIN_LISTS:
        raise ValueError(f"unknown built-in list {name!r}{did_you_mean(name, BUILTIN_LISTS)}; {one_of(BUILTIN_LISTS)}")
    text = resources.files("leadq").joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    entries = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    # dict.fromkeys keeps the first occurrence's order while dropping repeats.
    return tuple(dict.fromkeys(e for e in entries if e))
