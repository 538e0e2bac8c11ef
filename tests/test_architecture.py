"""Architecture rules the style guide promises, checked on the source tree.

* Only ``leadq.cli`` imports typer; only the CLI and the report renderers import rich.
* The scoring path has no per-row Python (no map_elements/apply/iter_rows) and no eval/exec, and no
  Python callback during a collect (map_batches): a signal landing in one makes Polars panic.
* The condition language (``leadq.conditions`` and its parser) knows no back end: both compilers,
  to Polars and to SQL, read its trees.
* Importing the CLI does not import Polars (``leadq.cli.main`` installs its SIGINT handler first).
* Every module and every command has a docstring (the docstring is the command's --help).
"""

from __future__ import annotations

import ast
import platform
import re
from importlib.metadata import version as package_version
from pathlib import Path

import pytest

from leadq import __version__

PACKAGE = Path(__file__).resolve().parent.parent / "leadq"
MODULES = sorted(PACKAGE.rglob("*.py"))
SCORING_PATH = ["activity.py", "activity_input.py", "cleaning.py", "number_text.py", "compiler.py",
                "conditions.py", "condition_parser.py", "condition_compiler.py", "pipeline.py", "input_columns.py",
                "dedupe.py", "ruleset.py", "ruleset_loader.py", "yaml_reader.py", "yamlsource.py", "inputs.py",
                "csv_input.py", "excel_input.py", "outputs.py", "titles.py", "title_taxonomy.py",
                "event_partitions.py", "event_codes.py", "scratch.py", "accounts.py", "routing.py", "owners.py",
                "changes.py", "actions.py"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layering(path):
    rel = path.relative_to(PACKAGE)
    imports = _imports(path)
    in_cli = rel.parts[0] == "cli"
    if not in_cli:
        assert "typer" not in imports, f"{rel}: only leadq/cli may import typer"
    if not in_cli and "report" not in rel.stem:
        assert "rich" not in imports, f"{rel}: only leadq/cli and report modules may import rich"


@pytest.mark.parametrize("name", SCORING_PATH)
def test_no_per_row_python_on_scoring_path(name):
    source = (PACKAGE / name).read_text()
    hits = re.findall(r"map_elements|map_batches|\.apply\(|iter_rows|(?<![.\w])eval\(|(?<![.\w])exec\(|yaml\.load\(",
                      source)
    assert not hits, f"{name}: {hits}"


def test_importing_the_cli_does_not_import_polars():
    """Polars chains its SIGINT hook to the handler installed before it is imported (see leadq.cli.main)."""
    import subprocess
    import sys

    code = "import sys, leadq.cli; print('polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, check=True)
    assert out.stdout.strip() == "False"


def test_the_entry_point_builds_only_the_command_it_runs():
    from leadq.cli import app, app_for

    assert [c.callback.__name__ for c in app_for(["score", "x.csv"]).registered_commands] == ["score"]
    assert app_for([]) is app and app_for(["scor"]) is app and app_for(["--help"]) is app
    assert len(app.registered_commands) == 11


@pytest.mark.parametrize(("args", "code", "text"), [
    (["score"], 2, "Usage: leadq score [OPTIONS] {contacts}...\nTry 'leadq score --help' for help."),
    (["scor"], 2, "No such command 'scor'. Did you mean 'score'?"),
    (["validate", "--help"], 0, "Usage: leadq validate [OPTIONS] {ruleset}"),
    ([], 2, "Commands:\n  score "),
    (["--version"], 0, f"leadq {__version__} (Polars {package_version('polars')}, Python {platform.python_version()})\n"),
    (["-V", "score"], 0, f"leadq {__version__} (Polars "),  # answered before the command is looked at
])
def test_the_entry_point_runs_as_the_whole_app(args, code, text):
    """``main`` builds one command when the arguments name it; usage, help and errors stay the app's."""
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "import sys; sys.argv[0] = 'leadq'; from leadq.cli import main; main()", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=PACKAGE.parent)
    assert out.returncode == code
    assert text in out.stdout + out.stderr


@pytest.mark.parametrize("name", ["conditions.py", "condition_parser.py"])
def test_the_condition_language_knows_no_back_end(name):
    imports = _imports(PACKAGE / name)
    assert not imports & {"polars", "sqlglot"}, imports


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_docstrings(path):
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path.relative_to(PACKAGE)} has no docstring"


def test_every_command_has_help():
    from typer.main import get_command

    from leadq.cli import app

    group = get_command(app)
    assert group.commands, "no commands registered"
    for name, command in group.commands.items():
        assert command.help and len(command.help.strip()) > 20, f"leadq {name} has no help text"


def test_names_are_split_on_commas_whatever_files_the_folder_holds(tmp_path, monkeypatch):
    from leadq.cli import _split_multi
    from leadq.errors import UsageError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "Company Name,Email").touch()
    (tmp_path / "events,2026.csv").touch()
    assert _split_multi(["Company Name,Email"], "--keep-columns") == ["Company Name", "Email"]
    assert _split_multi(["events,2026.csv"], "--activities") == ["events,2026.csv"]  # a file: whole
    assert _split_multi(["a.csv, b.csv"], "--activities") == ["a.csv", "b.csv"]
    with pytest.raises(UsageError, match="^--away: ',' names nothing"):
        _split_multi([","], "--away")
