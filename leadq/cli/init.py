"""`leadq init`: write a commented starter ruleset."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from leadq.cli import app, handle_errors


@app.command()
@handle_errors
def init(
    path: Annotated[Optional[str], typer.Argument(
        help="Where to write the ruleset ('-' for stdout); default: leadq.yaml.")] = None,
    template: Annotated[str, typer.Option(
        "--template", "-t", help="Starter template: b2b-saas, product-led, cybersecurity or it-services.")] = "b2b-saas",
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
    list_templates: Annotated[bool, typer.Option("--list", help="List the templates and exit.")] = False,
) -> None:
    """Write a starter ruleset with the ICP checklist and the questions to answer, ready to edit.

    Refuses to overwrite an existing file (exit 2) unless --force is given.

    Example:

        leadq init --template product-led rulesets/ours.yaml && leadq validate rulesets/ours.yaml
    """
    from leadq.templates import DEFAULT_PATH, template_names, template_summary, write_template

    if list_templates:
        names = template_names()
        width = max(len(n) for n in names)
        sys.stdout.write("".join(f"{n:<{width}}  {template_summary(n)}\n" for n in names))
        return
    target = DEFAULT_PATH if path is None else path
    written = write_template(template, target, force=force)
    if written != "-":
        sys.stdout.write(f"wrote {written} (template {template})\n"
                         f"next: edit it with sales, then run: leadq validate {written} --data <your contacts export>\n")
