"""The README's quick start stays true: its first command prints what the README shows."""

from __future__ import annotations

import re
import shlex

from tests.conftest import ROOT, run_cli


def _quick_start() -> tuple[list[str], str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    commands = re.search(r"```sh\n(.*?)```", section, re.S).group(1).splitlines()
    shown = re.search(r"and prints:\n\n```\n(.*?)```", section, re.S).group(1)
    install, run = commands[0].split(" && ", 1)
    assert install == "pip install ."
    assert commands[1] == "pip install '.[test]' && pytest"
    return shlex.split(run), shown


def test_quick_start_output_is_what_the_readme_shows(tmp_path, monkeypatch):
    args, shown = _quick_start()
    assert args[:2] == ["leadq", "score"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    monkeypatch.setenv("COLUMNS", "100")
    result = run_cli(args[1:])
    printed = "\n".join(line.rstrip() for line in result.output.splitlines())
    printed = re.sub(r"\n{3,}", "\n\n", printed) + "\n"
    assert printed == shown
    assert (tmp_path / "scored.parquet").is_file()


def test_the_exit_code_table_lists_every_code_once():
    from leadq import errors
    from leadq.cli import EXIT_INTERNAL

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = [int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)]
    constants = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}
    assert sorted(codes) == sorted(set(codes)), codes
    assert set(codes) == constants | {EXIT_INTERNAL}


def test_the_changes_example_prints_what_the_readme_shows(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("- **Changes since the previous run**", 1)[1]
    command = re.search(r"```sh\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    shown = re.search(r"after a run as of (\S+) prints, among the rest:\n\n *```\n(.*?) *```", section, re.S)
    args = shlex.split(command)
    assert args[:2] == ["leadq", "score"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    monkeypatch.setenv("COLUMNS", "250")
    as_of = args.index("--as-of") + 1
    run_cli(args[1:as_of] + [shown.group(1)] + args[as_of + 1:] + ["-q"])  # the earlier run
    printed = run_cli(args[1:]).output.splitlines()
    expected = [line.strip() for line in shown.group(2).strip().splitlines()]
    assert [line.rstrip() for line in printed if line.split(" ")[0] in ("since", "tier", "owners")] == expected


def test_the_away_example_prints_what_the_readme_shows(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    routing = text.split("**Routing** (`routing:`)", 1)[0].rsplit("the sample data:", 1)[1]
    command = re.search(r"```sh\n(.*?)```", routing, re.S).group(1).replace("\\\n", " ")
    section = text.split("**`--away`**", 1)[1]
    away = re.search(r"with\n`(--away [^`]+)`\):\n\n```\n(.*?)```", section, re.S)
    args = shlex.split(command) + shlex.split(away.group(1))
    assert args[:2] == ["leadq", "score"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    monkeypatch.setenv("COLUMNS", "250")
    printed = run_cli(args[1:]).output.splitlines()
    expected = away.group(2).strip().splitlines()
    assert [line.rstrip() for line in printed if line.startswith(("owners away", "without an owner"))] == expected


def test_the_test_example_prints_what_the_readme_shows(tmp_path, monkeypatch):
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### `leadq test`", 1)[1]
    cases, shown = re.search(r"expects too much of a VP with no activity:\n\n```yaml\n(.*?)```\n\n```\n(.*?)```",
                             section, re.S).groups()
    (tmp_path / "cases.yaml").write_text(cases)
    monkeypatch.setenv("COLUMNS", "250")
    printed = run_cli(["test", "b2b_saas", str(tmp_path / "cases.yaml")], exit_code=1).output
    assert shown in printed
