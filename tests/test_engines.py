"""One ruleset, three engines: Polars, DuckDB and Spark give the same tiers, grades, reasons and scores.

The data is the sample generator's (a few thousand rows), typed once with leadq's own
cleaning and written to Parquet, which is what the SQL engines read. Each example ruleset
gets the columns it maps (renamed from the HubSpot-style sample), so every ruleset in
rulesets/ runs on every engine. Property-based tests add random rulesets and random data
(Polars vs DuckDB).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadq.cleaning import typed
from leadq.errors import UsageError
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from leadq.sample import SampleSpec, generate

from conftest import AS_OF, ENGINE_SCORE_TOLERANCE, RULESETS, run_cli

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from leadq.engines import score_with_engine  # noqa: E402

BASE = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
EXAMPLES = sorted(p.name for p in RULESETS.glob("*.yaml"))


def _typed_frame(df: pl.DataFrame, columns: dict) -> pl.DataFrame:
    by_column = {c.column: c for c in columns.values()}
    return df.select([typed(by_column[n], df.schema[n], BASE.settings).alias(n) if n in by_column else pl.col(n)
                      for n in df.columns])


@pytest.fixture(scope="module")
def sample_typed() -> dict[str, pl.DataFrame]:
    """The generated sample with the default ruleset's columns typed (numbers, booleans, UTC times)."""
    data = generate(SampleSpec(leads=1500, events=15000, seed=11))
    return {"contacts": _typed_frame(data["contacts"], BASE.columns),
            "events": _typed_frame(data["events"], BASE.activity_columns),
            "accounts": _typed_frame(data["accounts"], BASE.account_columns)}


def data_for(ruleset_name: str, sample: dict[str, pl.DataFrame], folder: Path) -> tuple[list[str], ...]:
    """Parquet files with the column names ``ruleset_name`` maps (renamed from the sample's)."""
    rs = load_ruleset(str(RULESETS / ruleset_name))
    out = []
    for key, mine, base in (("contacts", rs.columns, BASE.columns), ("events", rs.activity_columns,
                                                                     BASE.activity_columns),
                            ("accounts", rs.account_columns, BASE.account_columns)):
        missing = [f for f in mine if f not in base]
        if missing:
            pytest.skip(f"{ruleset_name}: the sample has no column for {', '.join(missing)}")
        frame = sample[key].select([pl.col(base[f].column).alias(c.column) for f, c in mine.items()])
        path = folder / f"{ruleset_name}.{key}.parquet"
        frame.write_parquet(path)
        out.append([str(path)] if mine else [])
    return tuple(out)


def assert_same_scores(expected: pl.DataFrame, got: pl.DataFrame) -> None:
    """Same leads; identical tiers, grades, reasons and explanations; scores within one step of the snapping (ENGINE_SCORE_TOLERANCE)."""
    assert sorted(expected["lead_id"].to_list()) == sorted(got["lead_id"].to_list())
    joined = expected.join(got, on="lead_id", suffix="_other")
    for c in ("fit_score", "intent_score", "total_score"):
        worst = joined.select((pl.col(c) - pl.col(f"{c}_other")).abs().max()).item()
        assert worst is None or worst <= ENGINE_SCORE_TOLERANCE, f"{c} differs by {worst}"
    for c in ("grade", "tier", "disqualified", "disqualification_reasons", "explanation"):
        diff = joined.filter(pl.col(c) != pl.col(f"{c}_other"))
        assert diff.height == 0, f"{c} differs for {diff.height} leads, e.g. {diff.select('lead_id', c, c + '_other').head(3).to_dicts()}"


def polars_scores(ruleset_name: str, files: tuple[list[str], ...]) -> pl.DataFrame:
    rs = load_ruleset(str(RULESETS / ruleset_name))
    contacts, events, accounts = files
    return score_frames(rs, pl.scan_parquet(contacts), pl.scan_parquet(events) if events else None,
                        pl.scan_parquet(accounts) if accounts else None, as_of=AS_OF).scored


@pytest.fixture(scope="module")
def example_data(sample_typed, tmp_path_factory):
    folder = tmp_path_factory.mktemp("engines")
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            files = data_for(name, sample_typed, folder)
            cache[name] = (files, polars_scores(name, files))
        return cache[name]

    return get


@pytest.mark.parametrize("ruleset_name", EXAMPLES)
def test_duckdb_scores_like_polars(ruleset_name, example_data):
    files, expected = example_data(ruleset_name)
    assert expected.height > 1000
    result = score_with_engine("duckdb", load_ruleset(str(RULESETS / ruleset_name)), *files, as_of=AS_OF)
    assert result.scored.columns == expected.columns[:len(result.scored.columns)] or \
        set(result.scored.columns) <= set(expected.columns)
    assert_same_scores(expected.select(result.scored.columns), result.scored)


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from leadq.engines import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize("ruleset_name", EXAMPLES)
def test_spark_scores_like_polars(ruleset_name, example_data, spark):
    files, expected = example_data(ruleset_name)
    rs = load_ruleset(str(RULESETS / ruleset_name))
    result = score_with_engine("spark", rs, *files, as_of=AS_OF, spark_master="local[2]")
    assert_same_scores(expected.select(result.scored.columns), result.scored)
    # The per-rule event counts, as DuckDB's (which test_engine_summary_counts_match_polars checks).
    duck = score_with_engine("duckdb", rs, *files, as_of=AS_OF)
    assert result.stats.events_by_rule == duck.stats.events_by_rule
    assert set(result.stats.events_by_rule) == {r.id for r in rs.event_rules}


def test_engine_summary_counts_match_polars(example_data):
    files, expected = example_data("b2b_saas.yaml")
    rs = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
    polars_result = score_frames(rs, pl.scan_parquet(files[0]), pl.scan_parquet(files[1]),
                                 pl.scan_parquet(files[2]), as_of=AS_OF)
    duck = score_with_engine("duckdb", rs, *files, as_of=AS_OF)
    assert duck.stats.input_rows == polars_result.stats.input_rows == 1500
    assert duck.stats.rejected == polars_result.stats.rejected
    assert duck.stats.rejected_by_reason == polars_result.stats.rejected_by_reason
    assert duck.stats.events_read == polars_result.stats.events_read == 15000
    assert duck.stats.events_unknown_lead == polars_result.stats.events_unknown_lead
    assert duck.stats.events_by_rule == polars_result.stats.events_by_rule
    assert len(duck.stats.events_by_rule) == len(rs.event_rules) and any(duck.stats.events_by_rule.values())
    assert duck.rejects.height == polars_result.rejects.height
    # The same rows are rejected for the same reasons, naming the same kept lead and row.
    assert sorted(duck.rejects["reason"].to_list()) == sorted(polars_result.rejects["reason"].to_list())
    assert sorted(duck.rejects["source_row"].to_list()) == sorted(polars_result.rejects["source_row"].to_list())


def test_cli_score_with_duckdb_engine(example_data, tmp_path):
    files, expected = example_data("b2b_saas.yaml")
    out = tmp_path / "scored.parquet"
    result = run_cli(["score", *files[0], "--activities", *files[1], "--accounts", *files[2], "--as-of", "2026-11-01",
                      "--engine", "duckdb", "--out", out])
    assert "scored: " in result.stdout
    assert_same_scores(expected.select(pl.read_parquet(out).columns), pl.read_parquet(out))


def _leadq_subprocess(args: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    script = shutil.which("leadq", path=os.path.dirname(sys.executable)) or shutil.which("leadq")
    if script is None:  # pragma: no cover - not installed
        pytest.skip("the leadq console script is not installed")
    return subprocess.run([script, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd,
                          env={**os.environ, **env})


def test_cli_spark_run_under_quiet_prints_only_its_output(example_data, tmp_path):
    # The JVM's start-up warnings (incubator modules, native-hadoop library, loopback address,
    # "Setting default log level") reached stderr under -q, and stdout carries --out -.
    pytest.importorskip("pyspark")
    files, expected = example_data("b2b_saas.yaml")
    result = _leadq_subprocess(["score", *files[0], "-a", *files[1], "--accounts", *files[2], "--engine", "spark",
                                "--spark-master", "local[2]", "--as-of", "2026-11-01", "-o", "-", "-q"],
                               cwd=tmp_path)  # where --out - writes scored.rejects.csv
    assert (result.returncode, result.stderr) == (0, "")
    assert pl.read_csv(io.StringIO(result.stdout))["lead_id"].cast(pl.String).to_list() == \
        expected["lead_id"].cast(pl.String).to_list()


def test_cli_spark_without_java_says_what_it_needs(example_data, tmp_path):
    pytest.importorskip("pyspark")
    files, _ = example_data("b2b_saas.yaml")
    result = _leadq_subprocess(["score", *files[0], "--engine", "spark", "-o", tmp_path / "x.parquet", "-q"],
                               tmp_path, JAVA_HOME=str(tmp_path / "no-java"))
    assert result.returncode == 2
    assert "no-java/bin/java" in result.stderr  # the launcher's own words, from the JVM's log
    assert result.stderr.rstrip().endswith(
        "it needs a Java runtime (Java 17 or later, on the PATH or in JAVA_HOME); the Java output is above")
    assert not (tmp_path / "x.parquet").exists()


def test_cli_engine_errors(tmp_path, example_data):
    files, _ = example_data("b2b_saas.yaml")
    result = run_cli(["score", *files[0], "--engine", "oracle", "--out", tmp_path / "x.parquet"], exit_code=2)
    assert "unknown engine 'oracle'; expected one of: polars, duckdb, spark" in result.stderr
    csv = tmp_path / "contacts.csv"
    csv.write_text("Record ID\n1\n")
    # The name first: a CSV input is no reason to send a misspelt engine's user to convert it.
    result = run_cli(["score", csv, "--engine", "bogus", "--out", tmp_path / "x.parquet"], exit_code=2)
    assert "unknown engine 'bogus'" in result.stderr
    from leadq.cli.score import ENGINE_NAMES
    from leadq.engines import ENGINES

    assert ENGINE_NAMES == ENGINES
    result = run_cli(["score", csv, "--engine", "duckdb", "--out", tmp_path / "x.parquet"], exit_code=2)
    assert "the SQL engines read Parquet files or tables" in result.stderr
    result = run_cli(["score", *files[0], "--engine", "duckdb", "-k", "Email", "--out", tmp_path / "x.parquet"],
                     exit_code=2)
    assert "--keep-columns works with --engine polars only" in result.stderr
    # A Spark master for another engine did nothing, without a word.
    result = run_cli(["score", *files[0], "--engine", "duckdb", "--spark-master", "local[2]", "--out",
                      tmp_path / "x.parquet"], exit_code=2)
    assert "--spark-master works with --engine spark only (the engine is duckdb)" in result.stderr
    assert not (tmp_path / "x.parquet").exists()


def _one_rule_case(tmp_path: Path, columns: str, rule: str, contacts: dict) -> tuple[Path, Path]:
    """A one-rule ruleset (one tier) and a one-file Parquet contacts export; their paths."""
    path = tmp_path / "ruleset.yaml"
    path.write_text(f"version: 1\ncolumns: {columns}\nfit:\n  - {rule}\ntiers:\n  - {{name: all, otherwise: true}}\n")
    data = tmp_path / "c.parquet"
    pl.DataFrame(contacts).write_parquet(data)
    return path, data


def _intent_by_engine(tmp_path, contacts, events, ruleset) -> dict[str, list[tuple]]:
    """Each lead's intent score as Polars and DuckDB score the case, by engine."""
    scores = {}
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cli(["score", contacts, "-a", events, "-r", ruleset, "--engine", engine, "--as-of", "2026-11-01",
                 "--out", out, "-q"])
        scores[engine] = pl.read_csv(out).select("lead_id", "intent_score").rows()
    return scores


def _event_case(tmp_path: Path, intent: str, tiers: str, contact_ids: list[str],
                leads: list[str | None], types: list[str]) -> tuple[Path, Path, Path]:
    """A ruleset of event rules (``intent``, ``tiers``: YAML list lines), Parquet contacts and a Parquet
    log of events one day old; their paths."""
    path = tmp_path / "ruleset.yaml"
    path.write_text("version: 1\ncolumns: {lead_id: id}\n"
                    "activity_columns: {lead_id: id, event_type: type, occurred_at: at}\n"
                    f"intent:\n{intent}tiers:\n{tiers}")
    contacts, events = tmp_path / "c.parquet", tmp_path / "e.parquet"
    pl.DataFrame({"id": contact_ids}).write_parquet(contacts)
    pl.DataFrame({"id": leads, "type": types, "at": [AS_OF - timedelta(days=1)] * len(leads)},
                 schema_overrides={"id": pl.String}).write_parquet(events)
    return path, contacts, events


def test_event_types_match_in_any_case_and_with_any_word_joiner_on_every_engine(tmp_path):
    # A HubSpot log writes "Demo Request" where the ruleset says demo_request: the lead's intent was 0.
    # A rule may also spell its type the log's way ("Page View"); both rules share the key.
    types = {"1": ["Demo Request", "demo-request", "DemoRequest", "DEMO_REQUEST", "demo  request"],
             "2": ["page_view", "Page View", "page-view", "pageview", "Page Views"],
             "3": ["Webinar Attended", "ebook", "e-book", "webinar", "demo.request"]}
    rows = [(lead, t) for lead, ts in types.items() for t in ts]
    path, contacts, events = _event_case(
        tmp_path,
        "  - {id: demo, event: demo_request, points: 10, per: event, half_life_days: none}\n"
        "  - {id: views, event: Page View, points: 1, per: event, half_life_days: none}\n"
        "  - {id: other, event: [webinar-attended, e_book], points: 100, per: event, half_life_days: none}\n",
        "  - {name: all, otherwise: true}\n", ["1", "2", "3"], [r[0] for r in rows], [r[1] for r in rows])
    scores = _intent_by_engine(tmp_path, contacts, events, path)
    # "demo  request" (two spaces), "Page Views" (a plural), "webinar" and "demo.request" are other types.
    assert scores["polars"] == scores["duckdb"] == [(1, 40.0), (2, 4.0), (3, 300.0)]


def test_a_lead_whose_row_and_its_id_duplicate_both_go_gives_its_events_to_the_kept_lead(tmp_path):
    # Lead 1 has two rows; the one kept is then an e-mail duplicate of lead 2 (updated later). Lead 1 is
    # gone, so its demo request counts for lead 2 (its events counted for no lead, on every engine).
    path, contacts, events = _event_case(
        tmp_path, "  - {id: demo, event: demo_request, points: 10, per: event, half_life_days: none}\n",
        "  - {name: all, otherwise: true}\n", ["1", "1", "2"], ["1"], ["demo_request"])
    path.write_text(path.read_text().replace("columns: {lead_id: id}",
                                             "columns: {lead_id: id, email: email, updated_at: updated}")
                    + "settings: {dedupe_on: [email, lead_id]}\n")  # the order written does not matter
    pl.DataFrame({"id": ["1", "1", "2"], "email": ["a@x.com", "b@x.com", "b@x.com"],
                  "updated": [datetime(2026, 10, d, tzinfo=timezone.utc) for d in (1, 2, 3)]}).write_parquet(contacts)
    results = {}
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cli(["score", contacts, "-a", events, "-r", path, "--engine", engine, "--as-of", "2026-11-01",
                 "--out", out, "-q"])
        results[engine] = (pl.read_csv(out).select("lead_id", "intent_score").rows(),
                           sorted(pl.read_csv(tmp_path / f"{engine}.rejects.csv").select("source_row", "reason").rows()))
    assert results["polars"] == results["duckdb"] == (
        [(2, 10.0)],
        [(1, "duplicate lead id: kept lead 1 (row 2, most recently updated), itself a duplicate e-mail of lead 2 "
             "(row 3)"),
         (2, "duplicate e-mail: kept lead 2 (row 3, most recently updated)")])


def test_email_duplicates_share_the_first_address_on_every_engine(tmp_path):
    # "John <John@X.com>" is john@x.com; "N/A" and "n/a" are no address, so those two leads are not
    # duplicates of each other (they were: the key was the whole lower-cased text).
    path, contacts = _one_rule_case(
        tmp_path, "{lead_id: id, email: email, updated_at: updated}", "{id: any, when: 'true', points: 1}",
        {"id": [str(i) for i in range(1, 10)],
         "email": ["John <John@X.com>", "john@x.com", "N/A", "n/a", "o'brien@x.com",
                   "Pat O'Brien <O'Brien@X.com>", "a@b.co.", "A@B.co", None],
         "updated": [datetime(2026, 10, d, tzinfo=timezone.utc) for d in (1, 5, 1, 1, 1, 2, 1, 3, 1)]})
    path.write_text(path.read_text() + "settings: {dedupe_on: [lead_id, email]}\n")
    results = {}
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cli(["score", contacts, "-r", path, "--engine", engine, "--as-of", "2026-11-01", "--out", out, "-q"])
        results[engine] = (pl.read_csv(out)["lead_id"].to_list(),
                           pl.read_csv(tmp_path / f"{engine}.rejects.csv").select("source_row", "reason").rows())
    assert results["polars"] == results["duckdb"] == (
        [2, 3, 4, 6, 8, 9],
        [(1, "duplicate e-mail: kept lead 2 (row 2, most recently updated)"),
         (5, "duplicate e-mail: kept lead 6 (row 6, most recently updated)"),
         (7, "duplicate e-mail: kept lead 8 (row 8, most recently updated)")])


def test_null_markers_in_lead_ids_are_missing_ids_on_every_engine(tmp_path):
    # "#N/A" (a spreadsheet lookup that found nothing) was a lead id: two such rows were a lead and
    # its duplicate, and the events of "#N/A" counted as events of an unknown lead.
    path, contacts, events = _event_case(
        tmp_path, "  - {id: demo, event: demo_request, points: 10, per: event, half_life_days: none}\n",
        "  - {name: all, otherwise: true}\n", ["1", "#N/A", " n/a ", "2", "NA-7"],
        ["1", "#N/A", "N/A", "3", None, "NA-7"], ["demo_request"] * 6)
    results = {}
    for engine in ("polars", "duckdb"):
        out, summary = tmp_path / f"{engine}.csv", tmp_path / f"{engine}.json"
        run_cli(["score", contacts, "-a", events, "-r", path, "--engine", engine, "--as-of", "2026-11-01",
                 "--out", out, "--summary-json", summary, "-q"])
        figures = json.loads(summary.read_text())
        results[engine] = (pl.read_csv(out, schema_overrides={"lead_id": pl.String})
                           .select("lead_id", "intent_score").rows(),
                           pl.read_csv(tmp_path / f"{engine}.rejects.csv").select("source_row", "reason").rows(),
                           {k: figures["events"][k] for k in ("read", "unreadable", "unknown_lead")})
    assert results["polars"] == results["duckdb"] == (
        [("1", 10.0), ("2", 0.0), ("NA-7", 10.0)],
        [(2, "missing lead id"), (3, "missing lead id")],
        {"read": 6, "unreadable": 3, "unknown_lead": 1})


def test_count_of_a_lead_without_matching_events_is_zero_on_every_engine(tmp_path):
    # count(demo) was blank for a lead without events, so `count(demo) < 1` was false for it; and on
    # the Polars engine a lead whose only events no rule counts had 0, not blank: a tier apart.
    path, contacts, events = _event_case(
        tmp_path, "  - {id: demo, event: demo_request, points: 10, per: event, half_life_days: none}\n",
        "  - {name: no_demo, when: 'count(demo) < 1 and count(demo) = 0'}\n  - {name: demo, otherwise: true}\n",
        ["1", "2", "3"], ["1", "2"], ["demo_request", "email_open"])
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cli(["score", contacts, "-a", events, "-r", path, "--engine", engine, "--as-of", "2026-11-01",
                 "--out", out, "-q"])
        assert pl.read_csv(out, schema_overrides={"lead_id": pl.String}).select("lead_id", "tier").rows() == [
            ("1", "demo"), ("2", "no_demo"), ("3", "no_demo")], engine


def test_title_fields_are_polars_only(tmp_path):
    path, contacts = _one_rule_case(tmp_path, "{lead_id: id, job_title: title}",
                                    "{id: senior, when: 'seniority = \"vp\"', points: 5}",
                                    {"id": ["1"], "title": ["VP Sales"]})
    with pytest.raises(UsageError, match="'seniority' .* leadq's own engine only"):
        score_with_engine("duckdb", load_ruleset(str(path)), [str(contacts)], as_of=AS_OF)


def test_numbers_stored_as_text_are_refused_not_blanked(tmp_path):
    # A SQL TRY_CAST reads "2,349" as null: the lead would silently lose its company-size points.
    path, contacts = _one_rule_case(tmp_path, "{lead_id: id, company_size: {column: Employees, type: number}}",
                                    "{id: big, when: 'company_size >= 1000', points: 5}",
                                    {"id": ["1"], "Employees": ["2,349"]})
    result = run_cli(["score", contacts, "-r", path, "--engine", "duckdb", "--out", tmp_path / "x.parquet"],
                     exit_code=3)
    assert (f"{contacts}: column 'Employees' (company_size, a number field) is stored as text; the SQL engines "
            "read only typed columns. Use --engine polars") in result.stderr
    assert not (tmp_path / "x.parquet").exists()
    scored = run_cli(["score", contacts, "-r", path, "--out", tmp_path / "p.parquet", "-q"])
    assert scored.exit_code == 0 and pl.read_parquet(tmp_path / "p.parquet")["fit_score"].to_list() == [5.0]


def test_unreadable_dates_in_used_fields_are_rejected_by_every_engine(tmp_path):
    # DuckDB's TRY_CAST read "junk" as null, so the lead was scored as if it had no date: the polars
    # engine rejects the row. Both now reject it with the same reason, and count it the same way.
    path, contacts = _one_rule_case(
        tmp_path, "{lead_id: id, created_at: Created, updated_at: Updated}",
        "{id: recent, when: 'days_since(created_at) < 30', points: 5}",
        {"id": ["1", "2", "3", None, "5", "6"], "Created": ["junk", "2026-10-20", "", "also junk", " N/A ", "0001-01-01"],
         "Updated": ["bad", "2026-10-20", "2026-10-21", None, None, None]})
    results = {}
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        summary = tmp_path / f"{engine}.json"
        run_cli(["score", contacts, "-r", path, "--engine", engine, "--as-of", "2026-11-01", "--out", out,
                 "--summary-json", summary, "-q"])
        results[engine] = (pl.read_csv(out).select("lead_id", "fit_score").rows(),
                           pl.read_csv(tmp_path / f"{engine}.rejects.csv").select("source_row", "reason").rows(),
                           json.loads(summary.read_text())["rejected_by_reason"])
    # Rows 3, 5 and 6 have no date (blank, "N/A", a placeholder: scored, 0 points); the unused Updated "bad"
    # does not reject row 1.
    assert results["polars"] == results["duckdb"] == (
        [(2, 5.0), (3, 0.0), (5, 0.0), (6, 0.0)], [(1, "unreadable date in 'Created'"), (4, "missing lead id")],
        {"missing lead id": 1, "unreadable date in 'Created'": 1})


def test_float_ids_are_refused_by_the_sql_engines(tmp_path):
    # pandas stores an id column with blanks as floats; a SQL cast writes 1000001 as '1000001.0'.
    path, contacts = _one_rule_case(tmp_path, "{lead_id: id, company_size: size}",
                                    "{id: big, when: 'company_size >= 100', points: 5}",
                                    {"id": [1000001.0, None], "size": [200.0, 50.0]})
    result = run_cli(["score", contacts, "-r", path, "--engine", "duckdb", "--out", tmp_path / "x.parquet"],
                     exit_code=3)
    assert (f"{contacts}: column 'id' (lead_id, a text field) is stored as floats; the SQL engines would read "
            "1000001 as '1000001.0'") in result.stderr
    run_cli(["score", contacts, "-r", path, "--out", tmp_path / "p.parquet", "-q"])
    assert pl.read_parquet(tmp_path / "p.parquet").select("lead_id", "fit_score").rows() == [("1000001", 5.0)]


def test_text_dates_in_us_or_european_order_are_refused_by_the_sql_engines(tmp_path):
    path, contacts = _one_rule_case(tmp_path, "{lead_id: id, created_at: Created}",
                                    "{id: recent, when: 'days_since(created_at) < 30', points: 5}",
                                    {"id": ["1"], "Created": ["10/20/2026"]})
    path.write_text(path.read_text() + "settings: {date_order: us}\n")
    result = run_cli(["score", contacts, "-r", path, "--engine", "duckdb", "--out", tmp_path / "x.parquet"],
                     exit_code=3)
    assert (f"{contacts}: column 'Created' (created_at, a date field) is text and settings.date_order is us; the "
            "SQL engines read text dates in ISO order only (2026-12-31). Use --engine polars") in result.stderr
    run_cli(["score", contacts, "-r", path, "--as-of", "2026-11-01", "--out", tmp_path / "p.parquet", "-q"])
    assert pl.read_parquet(tmp_path / "p.parquet")["fit_score"].to_list() == [5.0]


# ---------------------------------------------------------------------------------------------
# Property-based: random rulesets and random data, Polars vs DuckDB.

_TEXT = st.sampled_from(["Software", " software ", "SaaS", "Retail", "vp sales", "Director of Marketing",
                         "Intern", "", "  ", "Head of Growth", "CTO"])
_NUM = st.one_of(st.none(), st.sampled_from([0.0, 5.0, 9.0, 10.0, 49.5, 50.0, 200.0, 1000.0, 5000.0, 12000.0]))


def _leaf():
    return st.one_of(
        st.builds(lambda n, op: f"company_size {op} {n:g}", st.sampled_from([10, 50, 200, 1000]),
                  st.sampled_from([">", ">=", "<", "<=", "=", "!="])),
        st.builds(lambda a, b: f"company_size between {min(a, b)} and {max(a, b)}",
                  st.integers(0, 2000), st.integers(0, 6000)),
        st.builds(lambda vs: "industry in [" + ", ".join(f'"{v}"' for v in vs) + "]",
                  st.lists(st.sampled_from(["software", "SaaS ", "retail", "x"]), min_size=0, max_size=3)),
        st.sampled_from([
            'job_title matches "\\b(vp|director|head of)\\b"', 'job_title matches "^intern"',
            'job_title contains ["market", "growth"]', 'job_title starts with "vp"', 'job_title ends with "sales"',
            "country is null", "country is not null", "job_title is empty", 'country = "Germany"',
            'country != "united states"', "demo_requested = true", "demo_requested",
            "days_since(created_at) <= 30", "days_since(created_at) > 90", 'created_at >= "2026-10-01"',
            "company_size * 2 + 1 > 400", "-company_size < -100",
        ]),
    )


def _condition():
    return st.recursive(_leaf(), lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner)), max_leaves=4)


_TIER_CONDITIONS = ["bad_fit", "bad_timing", 'grade >= "B"', "intent >= 10", "total > 20 and fit >= 5",
                    "fired(e0)", "count(e0) >= 2", "days_since(e0) <= 14", 'has_reason("q0")', "points(e1) > 3",
                    'grade in ["A", "C"]', "disqualified"]


@st.composite
def random_ruleset(draw) -> str:
    n_fit = draw(st.integers(1, 4))
    # Score groups: some fit rules share a cap, and some event rules another.
    fit_group = draw(st.sets(st.integers(0, n_fit - 1), max_size=n_fit))
    event_group = draw(st.sets(st.integers(0, 1), max_size=2))
    groups = ([f"  gf: {{cap: {draw(st.sampled_from([5, 15, 40]))}}}"] if fit_group else []) + \
        ([f"  ge: {{cap: {draw(st.sampled_from([4, 12.5, 30]))}, label: Events}}"] if event_group else [])
    fit = [f"  - {{id: f{i}, when: '{draw(_condition())}', points: {draw(st.integers(-20, 30))}"
           + (", group: gf}" if i in fit_group else "}") for i in range(n_fit)]
    events = []
    for i in range(2):
        parts = [f"id: e{i}", f"event: {draw(st.sampled_from(['page_view', 'demo_request', '[page_view, email_click]']))}",
                 f"points: {draw(st.sampled_from([1, 2.5, 10, -5, 30]))}"]
        if i in event_group:
            parts.append("group: ge")
        if draw(st.booleans()):
            parts.append(f"cap: {draw(st.sampled_from([3, 10, 25]))}")
        parts.append(f"half_life_days: {draw(st.sampled_from(['none', 7, 30]))}")
        if draw(st.booleans()):  # step decay: full points until a half-life, then half...
            parts.append("decay: step")
        parts.append(f"within_days: {draw(st.sampled_from([14, 60, 200]))}")
        parts.append(f"min_count: {draw(st.integers(1, 3))}")
        # per: day / week: one scoring event per lead and day (week), its latest
        parts.append(f"per: {draw(st.sampled_from(['event', 'lead', 'day', 'week']))}")
        if draw(st.booleans()):
            parts.append(f"where: 'url contains \"{draw(st.sampled_from(['/pricing', '/blog/', 'a']))}\"'")
        events.append("  - {" + ", ".join(parts) + "}")
    dq = [f"  - {{code: q{i}, category: {draw(st.sampled_from(['bad_fit', 'bad_timing']))}, "
          f"when: '{draw(_condition())}'}}" for i in range(draw(st.integers(0, 2)))]
    tiers = draw(st.lists(st.sampled_from([t for t in _TIER_CONDITIONS if dq or ("q0" not in t)]),
                          unique=True, min_size=0, max_size=4))
    tier_lines = [f"  - {{name: t{i}, when: '{c}'}}" for i, c in enumerate(tiers)]
    return "\n".join([
        "version: 1",
        "columns: {lead_id: id, email: email, job_title: title, company_size: size, industry: industry,",
        "          country: country, created_at: created, updated_at: updated,",
        "          demo_requested: {column: demo, type: boolean}}",
        "activity_columns: {lead_id: lead, event_type: type, occurred_at: at, url: url}",
        f"settings: {{dedupe_on: {draw(st.sampled_from(['[lead_id]', '[lead_id, email]']))}}}",
        *(["groups:", *groups] if groups else []),
        "fit:", *fit, "intent:", *events,
        *(["disqualifiers:", *dq] if dq else []),
        "grades: {A: 40, B: 20, C: 0, D: otherwise}",
        "tiers:", *tier_lines, "  - {name: rest, otherwise: true}", "",
    ])


@st.composite
def random_data(draw) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = draw(st.integers(1, 12))
    ids = [draw(st.sampled_from(["1", "2", "3", " 4 ", "5", "6", None])) if draw(st.integers(0, 9)) == 0
           else str(i + 1) for i in range(n)]
    day = timedelta(days=1)
    times = st.one_of(st.none(), st.builds(lambda h: AS_OF - timedelta(hours=h), st.integers(-48, 24 * 250)))
    contacts = pl.DataFrame({
        "id": ids,
        "email": [draw(st.sampled_from([None, "a@x.com", "A@X.com ", "b@gmail.com", "c@y.org", "Bo <B@Gmail.com>",
                                        "c@y.org.", "a@x.com; b@gmail.com"])) for _ in ids],
        "title": [draw(_TEXT) for _ in ids], "size": [draw(_NUM) for _ in ids],
        "industry": [draw(_TEXT) for _ in ids],
        "country": [draw(st.sampled_from([None, "Germany", " germany", "United States"])) for _ in ids],
        "created": [draw(times) for _ in ids], "updated": [draw(times) for _ in ids],
        "demo": [draw(st.sampled_from([None, True, False])) for _ in ids],
    }, schema_overrides={"created": pl.Datetime("us", "UTC"), "updated": pl.Datetime("us", "UTC"),
                         "size": pl.Float64, "demo": pl.Boolean})
    m = draw(st.integers(0, 40))
    events = pl.DataFrame({
        "lead": [draw(st.sampled_from(["1", "2", "3", "4", "5", "9", None])) for _ in range(m)],
        "type": [draw(st.sampled_from(["page_view", "PAGE_VIEW ", "demo_request", "email_click", "other"]))
                 for _ in range(m)],
        "at": [AS_OF - day * draw(st.floats(-2, 220, allow_nan=False)) for _ in range(m)],
        "url": [draw(st.sampled_from([None, "/pricing", "/blog/x", "/Pricing/a", "/home"])) for _ in range(m)],
    }, schema_overrides={"at": pl.Datetime("us", "UTC"), "lead": pl.String, "type": pl.String, "url": pl.String})
    return contacts, events


@settings(max_examples=int(os.environ.get("LEADQ_HYPOTHESIS_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=random_ruleset(), data=random_data())
def test_random_rulesets_score_the_same_on_polars_and_duckdb(tmp_path, text, data):
    path = tmp_path / "random.yaml"
    path.write_text(text)
    rs = load_ruleset(str(path))
    contacts, events = data
    expected = score_frames(rs, contacts.lazy(), events.lazy(), as_of=AS_OF)
    got = score_with_engine("duckdb", rs, contacts, events, as_of=AS_OF)
    assert_same_scores(expected.scored.select(got.scored.columns), got.scored)
    assert got.stats.events_by_rule == expected.stats.events_by_rule


def test_dates_stored_as_unix_time_are_refused_by_sql_and_read_by_polars(tmp_path):
    # 1761955200 is 2025-11-01T00:00:00Z, one year before the as-of date: the rule fires.
    path, contacts = _one_rule_case(tmp_path, "{lead_id: id, created_at: Created}",
                                    "{id: old, when: 'days_since(created_at) >= 365', points: 5}",
                                    {"id": ["1", "2"], "Created": [1761955200, 1761955200000]})
    result = run_cli(["score", contacts, "-r", path, "--engine", "duckdb", "--out", tmp_path / "x.parquet"],
                     exit_code=3)
    assert (f"{contacts}: column 'Created' (created_at, a date field) is stored as a number (Unix time?); the SQL "
            "engines read only timestamp columns. Use --engine polars") in result.stderr
    run_cli(["score", contacts, "-r", path, "--out", tmp_path / "p.parquet", "-q", "--as-of", "2026-11-01"])
    assert pl.read_parquet(tmp_path / "p.parquet")["fit_score"].to_list() == [5.0, 5.0]


@pytest.mark.parametrize("dtype", [pl.Int64, pl.String])
def test_numeric_event_types_match_a_log_whose_type_column_is_numbers_or_text_on_every_engine(tmp_path, dtype):
    # Marketo's activity type ids: `event: 1` (unquoted) is the type "1", whether the log's column holds
    # the number 1 (Parquet) or the text "1" (CSV); 10 and 12 are other types.
    path, contacts, events = _event_case(
        tmp_path, "  - {id: visits, event: 1, points: 1, per: event, half_life_days: none}\n"
                  "  - {id: forms, event: [2, 11], points: 10, per: event, half_life_days: none}\n",
        "  - {name: all, otherwise: true}\n", ["7", "8"], ["7", "7", "7", "8", "8", "8"], ["1", "1", "10", "2", "11", "12"])
    log = pl.read_parquet(events).with_columns(pl.col("type").cast(dtype))
    log.write_parquet(events)
    scores = _intent_by_engine(tmp_path, contacts, events, path)
    assert scores["polars"] == scores["duckdb"] == [(7, 2.0), (8, 20.0)]


def test_points_with_decimals_reach_the_threshold_they_add_up_to_on_every_engine(tmp_path):
    # In binary, 0.2 + 16.4 + 3.4 is 19.999999999999996: a lead whose points make 20 missed `total >= 20`.
    path = tmp_path / "ruleset.yaml"
    path.write_text("version: 1\ncolumns: {lead_id: id, job_title: title, company_size: size, country: country}\n"
                    "fit:\n"
                    "  - {id: vp, when: 'job_title contains \"vp\"', points: 0.2}\n"
                    "  - {id: size, when: 'company_size >= 100', points: 16.4}\n"
                    "  - {id: us, when: 'country = \"US\"', points: 3.4}\n"
                    "grades: {A: 20, C: otherwise}\n"
                    "tiers:\n  - {name: mql, when: total >= 20}\n  - {name: nurture, otherwise: true}\n")
    contacts = tmp_path / "c.parquet"
    pl.DataFrame({"id": ["a", "b"], "title": ["VP", "CEO"], "size": [500, 500], "country": ["US", "US"]}).write_parquet(contacts)
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cli(["score", contacts, "-r", path, "--engine", engine, "--as-of", "2026-11-01", "--out", out, "-q"])
        assert pl.read_csv(out).select("lead_id", "fit_score", "total_score", "grade", "tier").rows() == [
            ("a", 20.0, 20.0, "A", "mql"), ("b", 19.8, 19.8, "C", "nurture")], engine
