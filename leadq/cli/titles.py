"""`leadq titles`: print the job-title patterns as a ruleset's `titles:` section."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from leadq.cli import app, check_named, handle_errors


@app.command()
@handle_errors
def titles(
    ruleset: Annotated[Optional[str], typer.Option(
        "--ruleset", "-r", help="Print the map this ruleset (a YAML file or a built-in name) uses: the built-in "
        "patterns with its titles: section laid over them. Default: the built-in patterns alone.")] = None,
) -> None:
    """Print the patterns that give seniority and department, as YAML ready to paste into a ruleset.

    Levels come in precedence order (first match wins; a ruleset cannot change it). Patterns are
    regexes matched against the normalised title (lowercase, punctuation as single spaces). To add
    patterns to a level and keep its built-in ones, list "@builtin" first:
    director: ['@builtin', '\\bleiter\\b']. A list without it replaces the built-in patterns.

    Example:

        leadq titles > titles.yaml

        leadq titles -r rulesets/ours.yaml
    """
    from leadq.titles import DEFAULT_TITLE_MAP, title_map_yaml

    tmap = DEFAULT_TITLE_MAP
    if ruleset is not None:
        from leadq.ruleset_loader import load_ruleset

        check_named({"--ruleset": ruleset})
        rs = load_ruleset(ruleset)
        tmap = (rs.actions.title_map if rs.actions else None) or DEFAULT_TITLE_MAP
    source = "the built-in patterns" if ruleset is None else f"the patterns of {ruleset}"
    sys.stdout.write(f"# leadq job-title map: {source}. Levels in precedence order, first match wins.\n"
                     "# Keep a level's built-in patterns and add yours: director: ['@builtin', '\\bleiter\\b']\n"
                     + title_map_yaml(tmap))
