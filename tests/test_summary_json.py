"""The --summary-json document of `leadq score`: its version and every key, pinned.

The golden file is the contract of the document: every path, with every type found there over runs that
fill every part ("string|null": may be null), and "?" after a key some runs leave out of its object.
Regenerate after an intended change with ``LEADQ_UPDATE_GOLDEN=1 pytest tests/test_summary_json.py``,
review the diff, and raise ``leadq.summary.SUMMARY_SCHEMA_VERSION`` when a key was renamed or removed.
After the runs' document comes, under its own heading, the document of a run that failed before its
figures existed (exit 3, 4, 5 ...): a monitor tells the two apart by ``status``.
"""

from __future__ import annotations

import json
import os

import polars as pl

from leadq import __version__
from leadq.ruleset_loader import load_ruleset
from leadq.summary import SUMMARY_SCHEMA_VERSION
from tests.conftest import FIXTURES, ROOT, RULESETS, SAMPLE, run_cli
from tests.test_accounts_join import ACCOUNTS as JOIN_ACCOUNTS
from tests.test_accounts_join import CONTACTS as JOIN_CONTACTS
from tests.test_accounts_join import RULESET as JOIN_RULESET

GOLDEN = ROOT / "tests" / "golden" / "score" / "summary_schema.txt"
UPDATE = bool(os.environ.get("LEADQ_UPDATE_GOLDEN"))

# Objects whose keys are data (reasons, rules, routes, owners, files, columns ...), not names of
# the schema: their entries are written as one "*" entry.
MAPS = {
    "$.rejected_by_reason", "$.events.by_rule", "$.blanked_values", "$.ranged_values", "$.partly_missing_columns",
    "$.report_rows", "$.error_cells", "$.routing.routes", "$.routing.owners", "$.routing.owners.*",
    "$.routing.capacity", "$.routing.unassigned", "$.routing.flags", "$.routing.nurture_tracks", "$.accounts.tiers",
}


def _shapes(value, path: str, out: dict[str, set[str]], objects: dict[str, set[str]]) -> None:
    """Every path of ``value`` with the types found there (every item of a list, not only the first);
    ``objects``: each object path with the keys it held."""
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null",
            dict: "object", list: "array"}[type(value)]
    out.setdefault(path, set()).add(kind)
    if isinstance(value, dict):
        if path not in MAPS:
            objects.setdefault(path, set()).update(value)
        for k, v in value.items():
            _shapes(v, f"{path}.{'*' if path in MAPS else k}", out, objects)
    elif isinstance(value, list):
        for item in value:
            _shapes(item, f"{path}[]", out, objects)


def schema_lines(docs: list[dict]) -> list[str]:
    """The contract of the summary documents ``docs``: each path once, in order of first appearance, with
    every type found there ("string|null": nullable); "?" after a key that some document's object lacked."""
    types: dict[str, set[str]] = {}
    held: list[dict[str, set[str]]] = []
    for doc in docs:
        objects: dict[str, set[str]] = {}
        _shapes(doc, "$", types, objects)
        held.append(objects)
    order = ["object", "array", "string", "integer", "number", "boolean", "null"]
    children: dict[str, list[str]] = {}  # each path's own paths, in order of first appearance
    for path in types:
        if path != "$":
            parent = path[:-2] if path.endswith("[]") else path.rpartition(".")[0]
            children.setdefault(parent, []).append(path)
    lines = []

    def emit(path: str) -> None:
        parent, _, key = path.rpartition(".")
        optional = not path.endswith("]") and parent not in MAPS and key != "*" and any(
            parent in objects and key not in objects[parent] for objects in held)
        lines.append(f"{path}{'?' if optional else ''}: {'|'.join(k for k in order if k in types[path])}")
        for child in children.get(path, []):
            emit(child)

    emit("$")
    return lines


FAILED_HEADING = "# a run that failed before its figures existed (status: failed)"


def _summary(tmp_path, name: str, args: list, stdin: bytes | None = None, exit_code: int = 0) -> dict:
    path = tmp_path / f"{name}.json"
    run_cli(["score", *args, "--summary-json", path, "-q"], input=stdin, exit_code=exit_code)
    return json.loads(path.read_text())


def test_every_key_of_the_summary_json_is_pinned(tmp_path):
    """The summary's contract: runs that between them fill every part (events, accounts and their rollup,
    routing, the funnel with benchmarks, changes on a first run, a later one and a retry; no leads; a
    ruleset without routing, funnel or created_at; speed to lead unavailable; account ids the accounts file
    lacks), their types merged."""
    state = tmp_path / "state.parquet"
    sample = [SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--accounts", SAMPLE / "accounts.csv",
              "--rollup", "account", "-o", state, "--previous", state, "--changes", tmp_path / "delta.csv"]
    docs = [_summary(tmp_path, "first", [*sample, "--as-of", "2026-10-01"])]
    docs.append(_summary(tmp_path, "later", [*sample, "--as-of", "2026-11-01"]))
    docs.append(_summary(tmp_path, "retry", [*sample, "--as-of", "2026-11-01"]))
    header = (SAMPLE / "contacts.csv").read_text().splitlines()[0] + "\n"
    docs.append(_summary(tmp_path, "empty", ["-", "--as-of", "2026-11-01", "-o", tmp_path / "e.csv"],
                         stdin=header.encode()))
    worked = FIXTURES / "worked_example"
    docs.append(_summary(tmp_path, "worked", [worked / "contacts.csv", "-a", worked / "events.csv", "-r",
                                              RULESETS / "worked_example.yaml", "-o", tmp_path / "w.csv"]))
    untouched = tmp_path / "funnel.yaml"
    untouched.write_text((FIXTURES / "funnel" / "ruleset.yaml").read_text().replace("  first_touch_at: touch\n", ""))
    docs.append(_summary(tmp_path, "untouched", [FIXTURES / "funnel" / "contacts.csv", "-r", untouched,
                                                 "--as-of", "2026-11-01", "-o", tmp_path / "f.csv"]))
    # Account ids the accounts file lacks, some written another way, and duplicate ids in it.
    (tmp_path / "join.yaml").write_text(JOIN_RULESET)
    (tmp_path / "join_contacts.csv").write_text(JOIN_CONTACTS)
    (tmp_path / "join_accounts.csv").write_text(JOIN_ACCOUNTS)
    docs.append(_summary(tmp_path, "join", [tmp_path / "join_contacts.csv", "-r", tmp_path / "join.yaml",
                                            "--accounts", tmp_path / "join_accounts.csv", "--as-of", "2026-11-01",
                                            "-o", tmp_path / "j.csv"]))
    assert docs[-1]["accounts_file"]["likely_same"] and docs[-1]["accounts_file"]["duplicate_examples"]
    # --strict with a rejected row: the outputs are written, and the figures come with the failure. A title
    # no seniority pattern matches, for the unmatched titles' list.
    rejecting = tmp_path / "rejecting.csv"
    rejecting.write_text((worked / "contacts.csv").read_text() + ",x@example.com,CEO,X,10,SaaS,France\n"
                         "Z,z@example.com,Astronaut,X,10,SaaS,France\n")
    docs.append(_summary(tmp_path, "strict", [rejecting, "-r", RULESETS / "worked_example.yaml", "--strict",
                                              "-o", tmp_path / "s.csv"], exit_code=1))
    later, strict = docs[1], docs[-1]
    assert (later["schema_version"], later["leadq_version"]) == (SUMMARY_SCHEMA_VERSION, __version__)
    assert list(later)[:3] == ["schema_version", "leadq_version", "status"]
    assert [d["status"] for d in docs] == ["ok"] * (len(docs) - 1) + ["failed"]
    assert list(strict)[:5] == ["schema_version", "leadq_version", "status", "exit_code", "error"]
    assert (strict["exit_code"], strict["rejected"]) == (1, 1)
    assert (strict["unmatched_titles"], strict["unmatched_titles_top"]) == (1, [{"title": "Astronaut", "count": 1}])
    failed = _summary(tmp_path, "failed", [tmp_path / "absent.csv", "-o", tmp_path / "a.csv"], exit_code=3)
    assert list(failed) == ["schema_version", "leadq_version", "status", "exit_code", "error", "ruleset", "as_of"]
    text = "\n".join([*schema_lines(docs), "", FAILED_HEADING, *schema_lines([failed])]) + "\n"
    if UPDATE:
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == text, "the summary's keys changed; see tests/golden/score"


def test_the_schema_lines_merge_types_and_mark_nullable_and_optional_keys():
    docs = [{"a": 1, "b": [{"x": None}, {"x": "t"}], "routing": {"routes": {"r1": 0}}},
            {"a": None, "b": [], "c": True, "routing": {"routes": {}}}]
    assert schema_lines(docs) == [
        "$: object", "$.a: integer|null", "$.b: array", "$.b[]: object", "$.b[].x: string|null", "$.routing: object",
        "$.routing.routes: object", "$.routing.routes.*: integer", "$.c?: boolean"]


def _three_leads(tmp_path, created: list[str]):
    """Three sample contacts (lines 2-4 of the sample export) with these creation dates."""
    frame = pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False).head(3) \
        .with_columns(pl.Series("Create Date", created))
    path = tmp_path / "contacts.csv"
    frame.write_csv(path)
    return path


def test_leads_created_after_the_as_of_are_scored_kept_and_counted(tmp_path):
    contacts = _three_leads(tmp_path, ["2026-10-01 10:00", "2026-10-27 01:14", "2026-11-02 00:00"])
    out = tmp_path / "out.csv"
    result = run_cli(["score", contacts, "--as-of", "2026-10-27", "-o", out, "--summary-json", tmp_path / "s.json"])
    assert pl.read_csv(out).height == 3  # every input lead, once
    assert json.loads((tmp_path / "s.json").read_text())["leads_created_after_as_of"] == 2
    assert "\n2 leads created after --as-of 2026-10-27 (a backfill of data exported later?)\n" in result.stdout


def test_no_lead_created_after_the_as_of_is_0_and_no_line(tmp_path):
    contacts = _three_leads(tmp_path, ["2026-10-01 10:00", "2026-10-27 00:00", ""])  # at the as-of: not after
    result = run_cli(["score", contacts, "--as-of", "2026-10-27", "-o", tmp_path / "out.csv",
                      "--summary-json", tmp_path / "s.json"])
    assert json.loads((tmp_path / "s.json").read_text())["leads_created_after_as_of"] == 0
    assert "created after" not in result.stdout


def test_a_ruleset_without_created_at_gives_null(tmp_path):
    worked = FIXTURES / "worked_example"
    run_cli(["score", worked / "contacts.csv", "-r", RULESETS / "worked_example.yaml", "--as-of", "2026-10-27",
             "-o", tmp_path / "o.csv", "--summary-json", tmp_path / "s.json", "-q"])
    assert json.loads((tmp_path / "s.json").read_text())["leads_created_after_as_of"] is None


def test_every_name_of_the_ruleset_is_listed_with_its_count_0_included(tmp_path):
    ruleset = load_ruleset(None)
    result = run_cli(["score", SAMPLE / "contacts.csv", "-a", SAMPLE / "events" / "*.csv", "--as-of", "2026-11-01",
                      "-o", tmp_path / "o.parquet", "--summary-json", tmp_path / "s.json"])
    data = json.loads((tmp_path / "s.json").read_text())
    codes = list(dict.fromkeys(d.code for d in ruleset.disqualifiers))
    assert [r["name"] for r in data["reasons"]] == codes
    zero = [r for r in data["reasons"] if r["count"] == 0]
    assert zero and all(r["share"] == 0.0 and r["label"] for r in zero)
    routing = ruleset.actions.routing
    assert list(data["routing"]["routes"]) == list(routing.routes)
    assert data["routing"]["routes"]["enterprise_ae"] == 0
    assert list(data["routing"]["flags"]) == [f.id for f in routing.flags]
    assert list(data["routing"]["nurture_tracks"]) == [t.id for t in ruleset.actions.nurture.tracks]
    assert list(data["routing"]["unassigned"]) == [r for r in routing.routes if routing.owners(r)]
    # The terminal's lines leave the zeros out; the tiers table keeps its rows.
    assert "enterprise_ae" not in result.stdout.split("routes: ")[1].splitlines()[0]
    assert "without an owner" not in result.stdout
    # A tier's label is its description (the first of a name's tiers that has one); a ruleset gives tiers no category.
    assert [(t["name"], t["label"], t["category"]) for t in data["tiers"]][:2] == [
        ("disqualified", "Bad fit; never routed to sales.", ""), ("nurture", "Bad timing; stays in marketing programs.", "")]
