"""benchmarks/ruleset.yaml written by hand: Polars, DuckDB SQL, pandas, and the floor.

None of this imports leadq: these are the queries a competent engineer or
analyst would write for the same 30 rules, as references for what each tool
can do. They follow leadq's documented semantics exactly, so that
``benchmarks/run.py`` (and ``tests/test_benchmarks.py``) can check agreement
lead by lead:

* text fields are trimmed, blank means null; text comparisons ignore case;
* a test on a null value is false;
* an event counts for a rule when ``0 <= age <= within_days`` (age in
  fractional days before ``AS_OF``), its type is listed and its ``where``
  holds; it scores ``points * 0.5 ** (age / half_life)``; the rule's sum is
  clipped to ``[-cap, cap]`` and given only when ``min_count`` events match;
* fit and intent are sums of rule points; grade from fit; disqualifiers;
  tiers, first match wins.

Each implementation writes ``lead_id, fit_score, intent_score, total_score,
grade, tier`` to a Parquet file. Run one with
``python -m benchmarks.handwritten polars CONTACTS EVENTS_GLOB OUT``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAY_US = 86_400_000_000
LOOKBACK = 180.0

# (id, event types, url substring or None, points, cap, half-life days, within days, min_count)
EVENT_RULES = [
    ("demo_request", ["demo_request"], None, 30.0, 30.0, 14.0, 90.0, 1),
    ("pricing_page", ["page_view"], "/pricing", 10.0, 30.0, 14.0, LOOKBACK, 1),
    ("product_pages", ["page_view"], "/product/", 2.0, 10.0, 30.0, LOOKBACK, 1),
    ("case_study", ["content_download"], "/case-studies/", 8.0, 16.0, 30.0, LOOKBACK, 1),
    ("ebook", ["content_download"], "/ebooks/", 3.0, 9.0, 30.0, LOOKBACK, 1),
    ("webinar_attended", ["webinar_attended"], None, 8.0, 16.0, 45.0, LOOKBACK, 1),
    ("contact_form", ["form_submit"], "/contact", 15.0, 15.0, 30.0, LOOKBACK, 1),
    ("email_clicks", ["email_click"], None, 2.0, 6.0, 30.0, 60.0, 1),
    ("trial_signup", ["signed_up", "invited_teammate"], None, 12.0, 24.0, 21.0, LOOKBACK, 1),
    ("product_usage", ["used_core_feature"], None, 1.0, 12.0, 7.0, 30.0, 3),
]
EVENT_TYPES = sorted({t for r in EVENT_RULES for t in r[1]})
C_LEVEL = r"\b(chief|ceo|cmo|cto|founder|owner)\b"
VP_DIRECTOR = r"\b(vp|vice president|director|dir|head of)\b"
MANAGER = r"\b(manager|lead)\b"
STARTUP_DOMAIN = r"\.(io|ai)$"
REVENUE_ROLE = ["marketing", "growth", "sales", "revenue"]
SOFTWARE = ["computer_software", "information_technology_and_services", "internet", "saas", "software"]
CORE_MARKETS = ["united states", "united kingdom", "canada", "germany", "netherlands", "australia"]
CRM_STACK = ["salesforce", "hubspot"]
COMPETITORS = ["rivalsoft.com", "competitorcrm.io", "leadrival.com"]
UNSERVED = ["russia", "iran", "north korea"]
STUDENT = ["intern", "student"]
NUMBER_JUNK = "[,\\s$€£%\u00a0']"  # the same characters as leadq.cleaning.parse_number
OUTPUT = ["lead_id", "fit_score", "intent_score", "total_score", "grade", "tier"]


# --------------------------------------------------------------------------- Polars


def polars_query(contacts: str, events: str, out: str) -> None:
    """Hand-written Polars: one lazy query, streaming engine, sink to Parquet."""
    import polars as pl

    def text(name: str) -> pl.Expr:
        v = pl.col(name).str.strip_chars()
        return pl.when(v != "").then(v)

    as_of = pl.lit(AS_OF, dtype=pl.Datetime("us", "UTC"))
    age = (as_of - pl.col("Timestamp")).dt.total_microseconds() / DAY_US
    etype = pl.col("Event Type").str.strip_chars().str.to_lowercase()
    ev = (pl.scan_parquet(events)
          .select(lead_id=text("Contact ID"), t=etype, url=pl.col("Page URL").str.strip_chars().str.to_lowercase(),
                  age=age)
          .filter((pl.col("age") >= 0) & (pl.col("age") <= LOOKBACK) & pl.col("t").is_in(EVENT_TYPES)
                  & pl.col("lead_id").is_not_null()))
    aggs = []
    for rid, types, url, pts, cap, hl, within, min_count in EVENT_RULES:
        m = pl.col("t").is_in(types) & (pl.col("age") <= within)
        if url is not None:
            m = m & pl.col("url").str.contains(url, literal=True).fill_null(False)
        aggs.append(pl.when(m).then(pts * 0.5 ** (pl.col("age") / hl)).otherwise(0.0).sum().alias(f"d_{rid}"))
        if min_count > 1 or rid == "demo_request":
            aggs.append(m.sum().alias(f"n_{rid}"))
    agg = ev.group_by("lead_id").agg(aggs)

    title = text("Job Title")
    email = pl.col("Email").str.strip_chars().str.to_lowercase()
    c = pl.scan_parquet(contacts).select(
        lead_id=text("Record ID"),
        title=title,
        title_l=title.str.to_lowercase(),
        domain=email.str.extract(r"@([^@\s]+)$", 1),
        size=pl.col("Number of Employees").str.strip_chars().str.replace_all(NUMBER_JUNK, "")
        .cast(pl.Float64, strict=False),
        industry=text("Industry").str.to_lowercase(),
        country=text("Country/Region").str.to_lowercase(),
        status=text("Lead Status").str.to_lowercase(),
        tech=text("Technologies").str.to_lowercase(),
    )

    def pts(cond: pl.Expr, points: float) -> pl.Expr:
        return pl.when(cond.fill_null(False)).then(points).otherwise(0.0)

    size = pl.col("size")
    fit = pl.sum_horizontal(
        pts(pl.col("title").str.contains("(?i)" + C_LEVEL), 20),
        pts(pl.col("title").str.contains("(?i)" + VP_DIRECTOR), 15),
        pts(pl.col("title").str.contains("(?i)" + MANAGER), 8),
        pts(pl.col("domain").str.contains("(?i)" + STARTUP_DOMAIN), 5),
        pts(pl.col("title_l").str.contains_any(REVENUE_ROLE), 10),
        pts((size >= 200) & (size <= 5000), 15),
        pts((size >= 50) & (size <= 199), 8),
        pts(pl.col("industry").is_in(SOFTWARE), 10),
        pts(pl.col("country").is_in(CORE_MARKETS), 5),
        pts(pl.col("tech").str.contains_any(CRM_STACK), 10),
    )
    intent_parts = []
    for rid, _, _, _, cap, _, _, min_count in EVENT_RULES:
        value = pl.col(f"d_{rid}").fill_null(0.0).clip(-cap, cap)
        if min_count > 1:
            value = pl.when(pl.col(f"n_{rid}").fill_null(0) >= min_count).then(value).otherwise(0.0)
        intent_parts.append(value)
    bad_fit = pl.any_horizontal(
        pl.col("domain").is_in(COMPETITORS).fill_null(False),
        pl.col("country").is_in(UNSERVED).fill_null(False),
        (size < 10).fill_null(False),
        pl.col("title_l").str.contains_any(STUDENT).fill_null(False),
    )
    bad_timing = (pl.col("status") == "bad_timing").fill_null(False)
    fit_s, intent_s = pl.col("fit_score"), pl.col("intent_score")
    grade = (pl.when(fit_s >= 50).then(pl.lit("A")).when(fit_s >= 35).then(pl.lit("B"))
             .when(fit_s >= 20).then(pl.lit("C")).when(fit_s >= 5).then(pl.lit("D")).otherwise(pl.lit("F")))
    g = pl.col("grade")
    tier = (pl.when(pl.col("bad_fit")).then(pl.lit("disqualified"))
            .when(pl.col("bad_timing")).then(pl.lit("nurture"))
            .when(g.is_in(["A", "B"]) & ((intent_s >= 40) | (pl.col("n_demo_request").fill_null(0) >= 1)))
            .then(pl.lit("sql"))
            .when((pl.col("total_score") >= 50) & g.is_in(["A", "B", "C"])).then(pl.lit("mql"))
            .otherwise(pl.lit("cold")))
    scored = (c.join(agg, on="lead_id", how="left")
              .with_columns(fit_score=fit, intent_score=pl.sum_horizontal(intent_parts), bad_fit=bad_fit,
                            bad_timing=bad_timing)
              .with_columns(total_score=fit_s + intent_s, grade=grade)
              .with_columns(tier=tier)
              .select(OUTPUT))
    scored.sink_parquet(out, engine="streaming")


# --------------------------------------------------------------------------- DuckDB


def _sql_list(values: list[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def duckdb_sql(contacts: str, events: str, out: str) -> str:
    """The hand-written DuckDB statement."""
    as_of = "TIMESTAMPTZ '2026-11-01 00:00:00+00'"
    aggs = []
    for rid, types, url, pts, _, hl, within, min_count in EVENT_RULES:
        cond = f"t IN {_sql_list(types)} AND age <= {within}"
        if url is not None:
            cond += f" AND contains(url, '{url}')"
        aggs.append(f"sum(CASE WHEN {cond} THEN {pts} * pow(0.5, age / {hl}) ELSE 0 END) AS d_{rid}")
        if min_count > 1 or rid == "demo_request":
            aggs.append(f"count(*) FILTER (WHERE {cond}) AS n_{rid}")
    intent = []
    for rid, _, _, _, cap, _, _, min_count in EVENT_RULES:
        value = f"least(greatest(coalesce(d_{rid}, 0), -{cap}), {cap})"
        if min_count > 1:
            value = f"CASE WHEN coalesce(n_{rid}, 0) >= {min_count} THEN {value} ELSE 0 END"
        intent.append(value)

    def like_any(col: str, words: list[str]) -> str:
        return "(" + " OR ".join(f"contains({col}, '{w}')" for w in words) + ")"

    def pts(cond: str, points: float) -> str:
        return f"CASE WHEN {cond} THEN {points} ELSE 0 END"

    fit = " + ".join([
        pts(f"regexp_matches(title, '{C_LEVEL}', 'i')", 20.0),
        pts(f"regexp_matches(title, '{VP_DIRECTOR}', 'i')", 15.0),
        pts(f"regexp_matches(title, '{MANAGER}', 'i')", 8.0),
        pts(f"regexp_matches(domain, '{STARTUP_DOMAIN}', 'i')", 5.0),
        pts(like_any("title_l", REVENUE_ROLE), 10.0),
        pts("size BETWEEN 200 AND 5000", 15.0),
        pts("size BETWEEN 50 AND 199", 8.0),
        pts(f"industry IN {_sql_list(SOFTWARE)}", 10.0),
        pts(f"country IN {_sql_list(CORE_MARKETS)}", 5.0),
        pts(like_any("tech", CRM_STACK), 10.0),
    ])
    bad_fit = " OR ".join([
        f"coalesce(domain IN {_sql_list(COMPETITORS)}, false)",
        f"coalesce(country IN {_sql_list(UNSERVED)}, false)",
        "coalesce(size < 10, false)",
        f"coalesce({like_any('title_l', STUDENT)}, false)",
    ])

    def text(col: str) -> str:
        return f"nullif(trim(\"{col}\"), '')"

    return f"""
COPY (
WITH ev AS (
    SELECT {text('Contact ID')} AS lead_id, lower(trim("Event Type")) AS t, lower(trim("Page URL")) AS url,
           (epoch_us({as_of}) - epoch_us("Timestamp")) / {DAY_US}.0 AS age
    FROM read_parquet('{events}')
), agg AS (
    SELECT lead_id, {', '.join(aggs)}
    FROM ev
    WHERE age BETWEEN 0 AND {LOOKBACK} AND t IN {_sql_list(EVENT_TYPES)} AND lead_id IS NOT NULL
    GROUP BY lead_id
), c AS (
    SELECT {text('Record ID')} AS lead_id, {text('Job Title')} AS title, lower({text('Job Title')}) AS title_l,
           nullif(regexp_extract(lower(trim("Email")), '@([^@\\s]+)$', 1), '') AS domain,
           TRY_CAST(regexp_replace(trim("Number of Employees"), '{NUMBER_JUNK.replace("'", "''")}', '', 'g') AS DOUBLE)
               AS size,
           lower({text('Industry')}) AS industry, lower({text('Country/Region')}) AS country,
           lower({text('Lead Status')}) AS status, lower({text('Technologies')}) AS tech
    FROM read_parquet('{contacts}')
), s AS (
    SELECT c.lead_id, {fit} AS fit_score, {' + '.join(intent)} AS intent_score,
           {bad_fit} AS bad_fit, coalesce(status = 'bad_timing', false) AS bad_timing,
           coalesce(n_demo_request, 0) AS n_demo
    FROM c LEFT JOIN agg ON c.lead_id = agg.lead_id
), g AS (
    SELECT *, fit_score + intent_score AS total_score,
           CASE WHEN fit_score >= 50 THEN 'A' WHEN fit_score >= 35 THEN 'B' WHEN fit_score >= 20 THEN 'C'
                WHEN fit_score >= 5 THEN 'D' ELSE 'F' END AS grade
    FROM s
)
SELECT lead_id, fit_score, intent_score, total_score, grade,
       CASE WHEN bad_fit THEN 'disqualified' WHEN bad_timing THEN 'nurture'
            WHEN grade IN ('A', 'B') AND (intent_score >= 40 OR n_demo >= 1) THEN 'sql'
            WHEN total_score >= 50 AND grade IN ('A', 'B', 'C') THEN 'mql'
            ELSE 'cold' END AS tier
FROM g
) TO '{out}' (FORMAT parquet)
"""


def duckdb_query(contacts: str, events: str, out: str) -> None:
    """Hand-written DuckDB SQL, run in a fresh in-memory database (spills to a temp dir)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(duckdb_sql(contacts, events, out))
    con.close()


# --------------------------------------------------------------------------- pandas


def pandas_query(contacts: str, events: str, out: str) -> None:
    """Vectorised pandas, as a competent analyst writes it (no row loops)."""
    import glob
    import warnings

    import numpy as np
    import pandas as pd

    # pandas warns that the regexes have groups; they are only tested for a match.
    warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression")

    def text(s: pd.Series) -> pd.Series:
        s = s.str.strip()
        return s.where(s != "")

    files = sorted(glob.glob(events))
    ev = pd.concat([pd.read_parquet(f, columns=["Contact ID", "Event Type", "Timestamp", "Page URL"]) for f in files],
                   ignore_index=True)
    ev["t"] = ev["Event Type"].str.strip().str.lower()
    ev["age"] = (pd.Timestamp(AS_OF) - ev["Timestamp"]) / pd.Timedelta(microseconds=1) / DAY_US
    ev["lead_id"] = text(ev["Contact ID"])
    ev = ev[(ev["age"] >= 0) & (ev["age"] <= LOOKBACK) & ev["t"].isin(EVENT_TYPES) & ev["lead_id"].notna()]
    url = ev["Page URL"].str.strip().str.lower()
    cols = {"lead_id": ev["lead_id"]}
    for rid, types, u, pts, _, hl, within, min_count in EVENT_RULES:
        m = ev["t"].isin(types) & (ev["age"] <= within)
        if u is not None:
            m = m & url.str.contains(u, regex=False).fillna(False).astype(bool)
        cols[f"d_{rid}"] = np.where(m, pts * 0.5 ** (ev["age"] / hl), 0.0)
        if min_count > 1 or rid == "demo_request":
            cols[f"n_{rid}"] = m.astype("int64")
    agg = pd.DataFrame(cols).groupby("lead_id", sort=False).sum()
    del ev, cols

    c = pd.read_parquet(contacts, columns=["Record ID", "Job Title", "Email", "Number of Employees", "Industry",
                                           "Country/Region", "Lead Status", "Technologies"])
    df = pd.DataFrame({"lead_id": text(c["Record ID"])})
    title = text(c["Job Title"])
    title_l = title.str.lower()
    domain = c["Email"].str.strip().str.lower().str.extract(r"@([^@\s]+)$", expand=False)
    size = pd.to_numeric(c["Number of Employees"].str.strip().str.replace(NUMBER_JUNK, "", regex=True),
                         errors="coerce")
    industry = text(c["Industry"]).str.lower()
    country = text(c["Country/Region"]).str.lower()
    status = text(c["Lead Status"]).str.lower()
    tech = text(c["Technologies"]).str.lower()

    def hit(s: pd.Series) -> np.ndarray:
        return s.fillna(False).astype(bool).to_numpy()

    def contains_any(s: pd.Series, words: list[str]) -> np.ndarray:
        return hit(s.str.contains("|".join(words), regex=True))

    fit = (
        np.where(hit(title.str.contains(C_LEVEL, case=False, regex=True)), 20.0, 0.0)
        + np.where(hit(title.str.contains(VP_DIRECTOR, case=False, regex=True)), 15.0, 0.0)
        + np.where(hit(title.str.contains(MANAGER, case=False, regex=True)), 8.0, 0.0)
        + np.where(hit(domain.str.contains(STARTUP_DOMAIN, case=False, regex=True)), 5.0, 0.0)
        + np.where(contains_any(title_l, REVENUE_ROLE), 10.0, 0.0)
        + np.where(hit(size.between(200, 5000)), 15.0, 0.0)
        + np.where(hit(size.between(50, 199)), 8.0, 0.0)
        + np.where(industry.isin(SOFTWARE), 10.0, 0.0)
        + np.where(country.isin(CORE_MARKETS), 5.0, 0.0)
        + np.where(contains_any(tech, CRM_STACK), 10.0, 0.0)
    )
    a = agg.reindex(df["lead_id"])
    intent = np.zeros(len(df))
    for rid, _, _, _, cap, _, _, min_count in EVENT_RULES:
        value = a[f"d_{rid}"].fillna(0.0).clip(-cap, cap).to_numpy()
        if min_count > 1:
            value = np.where(a[f"n_{rid}"].fillna(0).to_numpy() >= min_count, value, 0.0)
        intent = intent + value
    n_demo = a["n_demo_request"].fillna(0).to_numpy()
    bad_fit = (domain.isin(COMPETITORS).to_numpy() | country.isin(UNSERVED).to_numpy()
               | hit(size < 10) | contains_any(title_l, STUDENT))
    bad_timing = hit(status == "bad_timing")
    grade = np.select([fit >= 50, fit >= 35, fit >= 20, fit >= 5], ["A", "B", "C", "D"], "F")
    total = fit + intent
    ab = np.isin(grade, ["A", "B"])
    tier = np.select(
        [bad_fit, bad_timing, ab & ((intent >= 40) | (n_demo >= 1)), (total >= 50) & np.isin(grade, ["A", "B", "C"])],
        ["disqualified", "nurture", "sql", "mql"], "cold")
    df["fit_score"] = fit
    df["intent_score"] = intent
    df["total_score"] = total
    df["grade"] = grade
    df["tier"] = tier
    df.to_parquet(out, index=False)


# --------------------------------------------------------------------------- floor


def floor_query(contacts: str, events: str, out: str) -> None:
    """The floor: scan the same files, count events per lead, join to contacts; no rules."""
    import polars as pl

    agg = (pl.scan_parquet(events).select("Contact ID", "Timestamp")
           .group_by("Contact ID").agg(pl.len().alias("events"), pl.col("Timestamp").max().alias("last")))
    (pl.scan_parquet(contacts).select("Record ID")
     .join(agg, left_on="Record ID", right_on="Contact ID", how="left")
     .sink_parquet(out, engine="streaming"))


IMPLEMENTATIONS = {"polars": polars_query, "duckdb": duckdb_query, "pandas": pandas_query, "floor": floor_query}


if __name__ == "__main__":
    name, contacts_path, events_glob, out_path = sys.argv[1:5]
    IMPLEMENTATIONS[name](contacts_path, events_glob, out_path)
