"""Deterministic, realistic sample data: a HubSpot-like CRM export plus an activity log.

The generator produces three tables shaped like what leadq is fed in practice:

* ``contacts``: a HubSpot contacts export (exact HubSpot column names, string
  values formatted the way HubSpot writes them, including the mess: decorated
  job titles, personal e-mail domains, duplicates, blanks, out-of-order dates);
* ``accounts``: a HubSpot companies export;
* ``events``: an activity log (web, e-mail, webinar and product events).

The data has a *true* signal: every contact carries a hidden fit (title
seniority, company size, industry, e-mail domain, country) and a hidden intent.
Both drive how far the contact progresses through the funnel
(lead -> MQL -> SQL -> opportunity -> won/lost), and intent also drives how many
events the contact produces and how recent they are, so scoring and calibration
have something real to find.

Everything is vectorised Polars: each pseudo-random draw is a hash of a row
index (``pl.int_range(n).hash(salt)``), so there is no per-row Python loop, the
output is the same bytes on every run for a given spec and Polars version (hash
values are only stable within one Polars version), and events can be produced
in independent chunks (the draw for event ``k`` does not depend on the chunk it
falls in) so 200M events fit in bounded memory.
"""

from __future__ import annotations

import argparse
import math
import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

__all__ = ["SampleSpec", "generate", "iter_event_chunks", "write_sample"]

_DAY = 86_400
_RECORD_ID_BASE = 1_000_001  # HubSpot-looking contact ids: "1000001", ...
_COMPANY_ID_BASE = 5_000_001
_WEBSITE = "https://www.example-saas.com"
_APP = "https://app.example-saas.com"


@dataclass(frozen=True)
class SampleSpec:
    """What to generate.

    Attributes:
        leads: Number of rows in the contacts export (duplicates included).
        events: Number of rows in the activity log.
        accounts: Number of companies; defaults to ``leads // 4``.
        seed: Seed of every pseudo-random draw.
        as_of: "Today" for the data set: nothing is dated after it.
        history_months: Contacts are created over this many months before ``as_of``.
        event_months: Events are spread over this many months before ``as_of``.
    """

    leads: int = 3000
    events: int = 40000
    accounts: int | None = None
    seed: int = 7
    as_of: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    history_months: int = 14
    event_months: int = 6

    @property
    def n_accounts(self) -> int:
        """Number of companies actually generated (at least one)."""
        return max(1, self.accounts if self.accounts is not None else self.leads // 4)


# ---------------------------------------------------------------------------
# Vocabularies. Weights are relative; the third element, where present, is the
# hidden contribution to fit (or intent) of picking that value.
# ---------------------------------------------------------------------------

_TITLES: list[tuple[str, float, float]] = [
    ("VP of Marketing", 3, 1.0), ("vp marketing", 1.5, 1.0), ("VP Marketing", 2, 1.0),
    ("Dir. Demand Generation", 2, 0.9), ("Director of Demand Generation", 2, 0.9),
    ("Marketing Director", 3, 0.9), ("Head of Growth", 2.5, 0.9), ("CMO", 2, 1.0),
    ("Chief Marketing Officer", 1, 1.0), ("Chief Technology Officer", 1, 0.4), ("CTO", 1.5, 0.4),
    ("Sr. Software Engineer", 4, 0.0), ("Software Engineer", 4, -0.1),
    ("Marketing Manager", 8, 0.7), ("Senior Marketing Manager", 3, 0.75),
    ("Marketing Operations Manager", 3, 0.85), ("Demand Generation Manager", 3, 0.8),
    ("Growth Marketing Manager", 2, 0.75), ("Marketing Specialist", 5, 0.4),
    ("Marketing Coordinator", 4, 0.3), ("Sales Development Representative", 3, 0.1),
    ("Account Executive", 3, 0.2), ("VP Sales", 1.5, 0.6), ("Head of Sales", 1.5, 0.6),
    ("Revenue Operations Manager", 2, 0.85), ("Intern", 2, -0.8), ("Student", 3, -1.0),
    ("Marketing Intern", 2, -0.6), ("IT Manager", 3, 0.1), ("CISO", 0.8, 0.0),
    ("Founder & CEO", 3, 0.7), ("CEO", 2, 0.7), ("Co-Founder", 1.5, 0.6),
    ("Procurement Specialist", 1.5, 0.0), ("Data Analyst", 3, 0.1), ("Consultant", 3, 0.0),
    ("Product Manager", 3, 0.3), ("Owner", 2, 0.5), ("Office Manager", 1.5, -0.2),
    ("", 6, 0.0),
]

_INDUSTRIES: list[tuple[str, float, float]] = [
    ("COMPUTER_SOFTWARE", 22, 1.0), ("INFORMATION_TECHNOLOGY_AND_SERVICES", 18, 0.8),
    ("FINANCIAL_SERVICES", 10, 0.4), ("HOSPITAL_HEALTH_CARE", 7, 0.1),
    ("MARKETING_AND_ADVERTISING", 12, 0.9), ("RETAIL", 7, 0.3),
    ("EDUCATION_MANAGEMENT", 5, -0.4), ("MANUFACTURING", 7, 0.1), ("INTERNET", 4, 0.8),
    ("TELECOMMUNICATIONS", 2, 0.3), ("SaaS", 2, 1.0), ("Software", 2, 1.0), ("", 2, 0.0),
]

# (country, weight, fit, region list key). Not-served countries carry a large negative fit.
_COUNTRIES: list[tuple[str, float, float, str]] = [
    ("United States", 40, 0.3, "us"), ("United Kingdom", 9, 0.3, "uk"),
    ("Germany", 8, 0.2, "de"), ("France", 5, 0.1, ""), ("Canada", 6, 0.3, "ca"),
    ("Netherlands", 3, 0.2, ""), ("Australia", 4, 0.2, "au"), ("India", 7, -0.2, "in"),
    ("Brazil", 4, -0.1, ""), ("Spain", 3, 0.0, ""), ("Sweden", 2, 0.2, ""),
    ("Switzerland", 1.5, 0.2, ""), ("Mexico", 1.5, -0.1, ""), ("Japan", 1, 0.0, ""),
    ("Singapore", 1, 0.1, ""), ("Poland", 1, 0.0, ""), ("Nigeria", 1, -0.3, ""),
    ("Russia", 0.8, -3.0, ""), ("Iran", 0.3, -3.0, ""), ("North Korea", 0.05, -3.0, ""),
]

_REGIONS: dict[str, list[str]] = {
    "us": ["California", "New York", "Texas", "Massachusetts", "Washington", "Illinois",
           "Florida", "Colorado", "Georgia", "New Jersey", "Pennsylvania", "Ohio", "Utah",
           "North Carolina", "Virginia", "Oregon", "Minnesota", "Arizona", "CA", "NY", "TX"],
    "uk": ["England", "Scotland", "Wales", "London", "Northern Ireland"],
    "de": ["Berlin", "Bayern", "Hamburg", "Nordrhein-Westfalen", "Baden-Württemberg", "Hessen"],
    "ca": ["Ontario", "Quebec", "British Columbia", "Alberta", "ON", "BC"],
    "au": ["New South Wales", "Victoria", "Queensland", "Western Australia"],
    "in": ["Karnataka", "Maharashtra", "Delhi", "Tamil Nadu", "Telangana"],
}

# HubSpot "Original Source" values, with an intent effect (referrals and direct
# traffic arrive warmer than paid social).
_SOURCES: list[tuple[str, float, float]] = [
    ("ORGANIC_SEARCH", 25, 0.2), ("PAID_SEARCH", 15, 0.3), ("PAID_SOCIAL", 12, -0.2),
    ("SOCIAL_MEDIA", 8, -0.2), ("EMAIL_MARKETING", 8, 0.0), ("REFERRALS", 7, 0.6),
    ("DIRECT_TRAFFIC", 12, 0.3), ("OFFLINE", 8, 0.0), ("OTHER_CAMPAIGNS", 5, -0.2),
]

# (technology, probability an account uses it, fit contribution)
_TECHS: list[tuple[str, float, float]] = [
    ("salesforce", 0.35, 0.4), ("hubspot", 0.30, 0.4), ("slack", 0.55, 0.1),
    ("google-analytics", 0.60, 0.1), ("marketo", 0.08, 0.4), ("pardot", 0.06, 0.3),
    ("zendesk", 0.15, 0.0), ("intercom", 0.10, 0.1), ("segment", 0.08, 0.2),
    ("snowflake", 0.07, 0.2), ("aws", 0.40, 0.0), ("gcp", 0.12, 0.0), ("azure", 0.15, 0.0),
    ("shopify", 0.06, 0.0), ("wordpress", 0.30, 0.0), ("jira", 0.30, 0.0),
    ("zoom", 0.40, 0.0), ("gong", 0.05, 0.3), ("outreach", 0.06, 0.3), ("6sense", 0.02, 0.3),
]

_FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Daniel", "Karen", "Matthew", "Emily", "Anthony", "Laura", "Mark", "Anna",
    "Paul", "Sophie", "Lukas", "Lena", "Jonas", "Marie", "Pierre", "Camille", "Hugo",
    "Chloe", "Priya", "Rahul", "Ananya", "Arjun", "Wei", "Li", "Yuki", "Haruto", "Lucas",
    "Mariana", "Pedro", "Carmen", "Javier", "Sofia", "Olivia", "Noah", "Emma", "Liam",
    "Ava", "Ethan", "Mia", "Oliver", "Isabella", "Aiden", "Fatima", "Omar", "Ingrid", "Lars",
]
_LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas",
    "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Young", "Allen", "King", "Wright", "Müller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Dubois", "Laurent", "Bernard", "Patel", "Sharma", "Gupta", "Singh",
    "Wang", "Zhang", "Chen", "Tanaka", "Sato", "Silva", "Santos", "Oliveira", "Fernández",
    "González", "van Dijk", "de Vries", "Jansen", "O'Brien", "Murphy", "Kelly", "Nguyen",
    "Kim", "Andersson", "Johansson", "Novak", "Kowalski",
]

_PERSONAL_DOMAINS: list[tuple[str, float]] = [
    ("gmail.com", 45), ("yahoo.com", 10), ("hotmail.com", 8), ("outlook.com", 8),
    ("icloud.com", 5), ("aol.com", 2), ("gmx.de", 4), ("web.de", 3), ("mail.ru", 3),
    ("yandex.ru", 2), ("qq.com", 3), ("163.com", 2), ("protonmail.com", 3), ("live.com", 2),
]
_COMPETITORS = [("RivalSoft", "rivalsoft.com"), ("CompetitorCRM", "competitorcrm.io"),
                ("LeadRival", "leadrival.com")]

_NAME_PREFIXES = [
    "Blue", "North", "Bright", "Silver", "Red", "Green", "Quantum", "Apex", "Nova", "Pixel",
    "Cloud", "Iron", "Stellar", "Summit", "Vertex", "Orbit", "Atlas", "Cedar", "Harbor",
    "Lumen", "Nimbus", "Peak", "Pioneer", "Prism", "River", "Sage", "Solar", "Spark",
    "Terra", "Vivid", "Zephyr", "Alpine", "Beacon", "Cobalt", "Delta", "Ember", "Falcon",
    "Granite", "Horizon", "Indigo", "Juniper", "Kinetic", "Maple", "Meridian", "Oak",
    "Onyx", "Polar", "Radiant", "Sierra", "Tidal",
]
_NAME_ROOTS = [
    "Analytics", "Labs", "Systems", "Software", "Dynamics", "Networks", "Health", "Capital",
    "Logistics", "Retail", "Media", "Works", "Digital", "Data", "Solutions", "Tech",
    "Robotics", "Foods", "Energy", "Partners", "Bank", "Learning", "Studio", "Commerce",
    "Security", "Cloud", "Metrics", "Motors", "Pay", "Mobile",
]
_NAME_SUFFIXES = [("", 40), (" Inc.", 20), (" LLC", 8), (" GmbH", 8), (" Ltd", 10),
                  (" SAS", 3), (" B.V.", 3), (" Corp", 8)]
_TLDS = [(".com", 70), (".io", 12), (".de", 6), (".co.uk", 5), (".ai", 4), (".net", 3)]

# Events: (type, share among low-intent contacts, share among high-intent contacts).
# The mix of the two lands close to the target shares of the spec.
_EVENT_TYPES: list[tuple[str, float, float]] = [
    ("page_view", 47, 44), ("email_open", 17, 14), ("email_click", 7, 8.5),
    ("content_download", 7, 8.5), ("webinar_registered", 2.5, 3.2), ("webinar_attended", 1.5, 2.2),
    ("form_submit", 4, 4), ("demo_request", 0.4, 1.2), ("signed_up", 1.5, 2.2),
    ("invited_teammate", 1, 1.6), ("connected_integration", 0.6, 1.1),
    ("used_core_feature", 7, 8), ("hit_usage_limit", 0.3, 0.5), ("unsubscribe", 1.5, 0.8),
]
_BLOG = ["how-to-score-leads", "mql-vs-sql", "b2b-funnel-benchmarks-2026", "intent-data-101",
         "lead-routing-playbook", "abm-for-startups", "hubspot-vs-salesforce",
         "demand-gen-metrics", "pipeline-forecasting", "reduce-speed-to-lead",
         "icp-definition-guide", "product-led-growth-signals"]
_PRODUCT = ["scoring", "routing", "enrichment", "integrations", "analytics", "api"]
_CASES = ["acme-analytics", "northwind", "globex", "initech", "umbrella-health", "hooli"]
_DOCS = ["getting-started", "rulesets", "cli-reference", "hubspot-import", "webhooks",
         "calibration", "api-keys", "sso"]
_EBOOKS = ["state-of-b2b-marketing-2026", "lead-scoring-handbook", "plg-playbook"]
_WEBINARS = ["pipeline-analytics-101", "scoring-that-sales-trusts", "plg-meets-sales"]
_CAMPAIGNS_EMAIL = ["2026-Q3 Newsletter", "2026-Q4 Newsletter", "Nurture - Trial Users",
                    "Nurture - Content Downloaders", "Product Update - October",
                    "Event Invite - SaaStr", "Win-back - Churned Trials"]
_CAMPAIGNS_WEB = ["google-brand", "google-nonbrand-lead-scoring", "linkedin-abm-q4",
                  "g2-comparison", "capterra", "partner-referral"]


# ---------------------------------------------------------------------------
# Vectorised random helpers
# ---------------------------------------------------------------------------


class _Rand:
    """Hash-based uniform draws: draw ``salt`` for row ``idx`` is a pure function of both.

    Salts are derived from the seed with ``random.Random`` so two seeds give
    unrelated streams, and each named draw gets its own salt.
    """

    def __init__(self, seed: int, stream: str) -> None:
        rng = random.Random(f"{seed}:{stream}")
        self._base = rng.getrandbits(48)

    def u(self, salt: int, idx: pl.Expr) -> pl.Expr:
        """Uniform in (0, 1) with 53-bit resolution, never exactly 0 or 1."""
        h = idx.cast(pl.UInt64).hash(self._base + salt * 1_000_003)
        return ((h // 2048).cast(pl.Float64) + 0.5) / float(1 << 53)

    def normal(self, salt: int, idx: pl.Expr) -> pl.Expr:
        """Standard normal via Box-Muller (two uniforms with salts ``salt`` and ``salt + 1``)."""
        return (-2.0 * self.u(salt, idx).log()).sqrt() * (
            2.0 * math.pi * self.u(salt + 1, idx)
        ).cos()


def _cum(weights: Sequence[float]) -> pl.Series:
    """Cumulative thresholds in (0, 1] for a weighted pick; the last one is exactly 1."""
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    out[-1] = 1.0
    return pl.Series(out, dtype=pl.Float64)


def _code(weights: Sequence[float], u: pl.Expr) -> pl.Expr:
    """Index of the weighted choice that uniform ``u`` falls into."""
    return pl.lit(_cum(weights)).search_sorted(u, side="left").cast(pl.UInt32)


def _take(values: Sequence[object], code: pl.Expr, dtype: pl.DataType | None = None) -> pl.Expr:
    """``values[code]`` for each row (a gather from a small literal Series)."""
    return pl.lit(pl.Series(values, dtype=dtype)).gather(code)


def _take_str(values: Sequence[str], code: pl.Expr) -> pl.Expr:
    """``values[code]`` as a String column; blanks ("") become null (empty in CSV).

    Gathering from an Enum and casting once is much cheaper than gathering strings.
    """
    cats = sorted(set(values))
    out = _take(values, code, pl.Enum(cats)).cast(pl.String)
    return pl.when(out != "").then(out)


def _fmt_ts(secs: pl.Expr, fmt: str) -> pl.Expr:
    """Format epoch seconds (UTC) with ``fmt``; null stays null."""
    return pl.from_epoch(secs, time_unit="s").dt.strftime(fmt)


def _fmt_int(n: pl.Expr, thousands: pl.Expr) -> pl.Expr:
    """Integer as text, with a "," thousands separator where ``thousands`` (n < 1e9)."""
    plain = n.cast(pl.String)
    hi = (n // 1_000_000).cast(pl.String)
    mid = ((n // 1000) % 1000).cast(pl.String)
    lo = (n % 1000).cast(pl.String).str.zfill(3)
    sep = (
        pl.when(n >= 1_000_000)
        .then(pl.concat_str([hi, pl.lit(","), mid.str.zfill(3), pl.lit(","), lo]))
        .otherwise(pl.concat_str([(n // 1000).cast(pl.String), pl.lit(","), lo]))
    )
    return pl.when(thousands & (n >= 1000)).then(sep).otherwise(plain)


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def _months_before(dt: datetime, months: int) -> int:
    """Epoch seconds of ``dt`` moved back by ``months`` calendar months (day clamped to 28)."""
    total = dt.year * 12 + (dt.month - 1) - months
    return _epoch(dt.replace(year=total // 12, month=total % 12 + 1, day=min(dt.day, 28)))


def _sigmoid(x: pl.Expr) -> pl.Expr:
    return 1.0 / (1.0 + (-x).exp())


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------


def _accounts_core(spec: SampleSpec) -> pl.DataFrame:
    """Accounts with their hidden fit, before formatting."""
    n = spec.n_accounts
    r = _Rand(spec.seed, "accounts")
    a = pl.col("a")
    # An affine bijection of the index spreads names over the vocabulary product,
    # so names are unique and unrelated to how many contacts an account gets.
    mult = 7_919 if n % 7_919 else 7_927
    perm = (a * mult + 13) % n
    n_pre, n_root = len(_NAME_PREFIXES), len(_NAME_ROOTS)
    gen = perm // (n_pre * n_root)
    pre = _take(_NAME_PREFIXES, (perm % n_pre).cast(pl.UInt32))
    root = _take(_NAME_ROOTS, ((perm // n_pre) % n_root).cast(pl.UInt32))
    # Beyond the vocabulary product, a number keeps names and domains unique.
    num = pl.when(gen > 0).then(gen.cast(pl.String)).otherwise(pl.lit(""))
    suffix = _take([s for s, _ in _NAME_SUFFIXES], _code([w for _, w in _NAME_SUFFIXES], r.u(1, a)))
    tld = _take([t for t, _ in _TLDS], _code([w for _, w in _TLDS], r.u(2, a)))
    # Company size: log-normal, median ~80 employees, clipped to 1..50,000.
    emp = (
        (math.log(80) + 1.7 * r.normal(3, a)).exp().round().clip(1, 50_000).cast(pl.Int64)
    )
    ind = _code([w for _, w, _ in _INDUSTRIES], r.u(5, a))
    ctry = _code([w for _, w, _, _ in _COUNTRIES], r.u(6, a))
    tech_cols = [
        pl.when(r.u(100 + k, a) < p).then(pl.lit(name)) for k, (name, p, _) in enumerate(_TECHS)
    ]
    tech_fit = pl.sum_horizontal(
        [pl.when(r.u(100 + k, a) < p).then(f).otherwise(0.0) for k, (_, p, f) in enumerate(_TECHS)]
    )
    size_fit = 1.0 - ((emp.cast(pl.Float64).log10() - 2.7).abs() / 1.5)
    df = pl.select(a=pl.int_range(n, dtype=pl.Int64)).with_columns(
        company_id=a + _COMPANY_ID_BASE,
        name=pl.concat_str([pre, pl.lit(" "), root, pl.when(gen > 0).then(pl.lit(" ")).otherwise(pl.lit("")), num, suffix]),
        domain=pl.concat_str([pre.str.to_lowercase(), root.str.to_lowercase(), num, tld]),
        emp=emp,
        rev_per_emp=((150 + 150 * r.u(4, a)).round() * 1000).cast(pl.Int64),
        industry=_take_str([v for v, _, _ in _INDUSTRIES], ind),
        country_code=ctry,
        tech=pl.concat_str(tech_cols, separator=";", ignore_nulls=True),
        fit=size_fit
        + _take([f for _, _, f in _INDUSTRIES], ind)
        + _take([f for _, _, f, _ in _COUNTRIES], ctry)
        + tech_fit,
        u_emp_fmt=r.u(7, a),
        u_rev_fmt=r.u(8, a),
    )
    return df


def _accounts_export(core: pl.DataFrame) -> pl.DataFrame:
    """Format the accounts core as a HubSpot companies export."""
    emp = pl.col("emp")
    return core.select(
        pl.col("company_id").cast(pl.String).alias("Record ID"),
        pl.col("name").alias("Company name"),
        pl.col("domain").alias("Company Domain Name"),
        pl.when(pl.col("u_emp_fmt") < 0.05)
        .then(None)
        .otherwise(_fmt_int(emp, pl.col("u_emp_fmt") > 0.85))
        .alias("Number of Employees"),
        pl.col("industry").alias("Industry"),
        _take_str([c for c, _, _, _ in _COUNTRIES], pl.col("country_code")).alias("Country/Region"),
        pl.when(pl.col("u_rev_fmt") < 0.35)
        .then(None)
        .otherwise((emp * pl.col("rev_per_emp")).cast(pl.Int64).cast(pl.String))
        .alias("Annual Revenue"),
        pl.when(pl.col("tech") != "").then(pl.col("tech")).alias("Technologies"),
    )


# ---------------------------------------------------------------------------
# Contacts: latent propensities and funnel history
# ---------------------------------------------------------------------------

# Logit intercepts per funnel transition, tuned so the observed default-spec
# rates land mid-range: lead->MQL ~30%, MQL->SQL ~20%, SQL->opp ~32%, win ~25%.
_B_MQL, _B_SQL, _B_OPP, _B_WON = -1.36, -3.19, -3.17, -4.35
_W_FIT, _W_INTENT = 0.9, 1.1


def _contacts_core(spec: SampleSpec, acc: pl.DataFrame) -> pl.DataFrame:
    """One row per contact export row: identity, latents, and funnel dates (epoch seconds).

    Duplicated rows reuse the person index (``p``) of their source row, so every
    person attribute (name, title, company, ...) is hashed from ``p`` and comes
    out identical without a second pass.
    """
    n = spec.leads
    r = _Rand(spec.seed, "contacts")
    i = pl.col("i")
    as_of = _epoch(spec.as_of)
    start = _months_before(spec.as_of, spec.history_months)

    # Duplicates (~2%): kind A = same person re-created under a new Record ID
    # (e-mail differs in case/whitespace); kind B = the same record exported
    # twice (same Record ID, different Last Modified Date).
    u_dup = r.u(1, i)
    src = (i - 1 - (r.u(2, i) * 300).floor().cast(pl.Int64)).clip(lower_bound=0)
    df = pl.select(i=pl.int_range(n, dtype=pl.Int64)).with_columns(
        dup_kind=pl.when((u_dup < 0.01) & (i > 0))
        .then(pl.lit(1))
        .when((u_dup < 0.02) & (i > 0))
        .then(pl.lit(2))
        .otherwise(pl.lit(0)),
        src=src,
    )
    # A source must itself be an original row, so duplicates never chain.
    df = df.with_columns(
        dup_kind=pl.when(pl.col("dup_kind").gather(pl.col("src")) == 0)
        .then(pl.col("dup_kind"))
        .otherwise(0)
    ).with_columns(p=pl.when(pl.col("dup_kind") > 0).then(pl.col("src")).otherwise(i))
    p = pl.col("p")

    # Create dates: monthly volume grows ~7.5% a month, i.e. density ∝ exp(λt);
    # stratified on the row index so Record IDs increase with Create Date, as in HubSpot.
    lam = math.log(1.075)
    span = float(spec.history_months)
    month_s = (as_of - start) / span
    def created_of(idx: pl.Expr) -> pl.Expr:
        v = (idx.cast(pl.Float64) + r.u(3, idx)) / n
        t = (1.0 + v * (math.exp(lam * span) - 1.0)).log() / lam
        return (start + t * month_s).floor().cast(pl.Int64).clip(upper_bound=as_of - 60)

    n_acc = acc.height
    kind_u = r.u(4, p)
    df = df.with_columns(
        rid=pl.when(pl.col("dup_kind") == 2).then(p).otherwise(i) + _RECORD_ID_BASE,
        created=pl.when(pl.col("dup_kind") == 2).then(created_of(p)).otherwise(created_of(i)),
        # 15% personal e-mail, ~1.2% competitors snooping, the rest business e-mail.
        email_kind=pl.when(kind_u < 0.15).then(pl.lit(1)).when(kind_u < 0.162).then(pl.lit(2)).otherwise(pl.lit(0)),
        # Heavy-tailed contacts per account: low indices get many contacts.
        acc=(r.u(5, p).pow(1.6) * n_acc).floor().cast(pl.Int64).clip(upper_bound=n_acc - 1),
        title=_code([w for _, w, _ in _TITLES], r.u(6, p)),
        source=_code([w for _, w, _ in _SOURCES], r.u(7, p)),
    )
    df = df.with_columns(
        acc=pl.when(pl.col("email_kind") == 0).then(pl.col("acc")),
        own_country=_code([w for _, w, _, _ in _COUNTRIES], r.u(8, p)),
    )
    acc_fit = pl.lit(acc["fit"]).gather(pl.col("acc"))
    acc_country = pl.lit(acc["country_code"]).gather(pl.col("acc"))
    df = df.with_columns(
        country_code=pl.coalesce(
            pl.when(r.u(9, p) > 0.1).then(acc_country), pl.col("own_country")
        ),
    ).with_columns(
        fit_raw=_take([f for _, _, f in _TITLES], pl.col("title")) * 1.5
        + pl.when(pl.col("email_kind") == 0)
        .then(acc_fit)
        .when(pl.col("email_kind") == 1)
        .then(pl.lit(-0.6))
        .otherwise(pl.lit(-4.0))
        + pl.when(pl.col("email_kind") == 0).then(0.0).otherwise(
            _take([f for _, _, f, _ in _COUNTRIES], pl.col("country_code"))
        ),
    )
    df = df.with_columns(fit=(pl.col("fit_raw") - pl.col("fit_raw").mean()) / pl.col("fit_raw").std())
    df = df.with_columns(
        # Intent is partly driven by fit (ICP buyers research more) plus source and noise.
        # Competitors browse a lot (pricing, docs) but never buy.
        intent=0.35 * pl.col("fit")
        + r.normal(10, p)
        + _take([f for _, _, f in _SOURCES], pl.col("source"))
        + pl.when(pl.col("email_kind") == 2).then(1.5).otherwise(0.0),
    )

    # Funnel. Each transition happens with a probability rising with fit and
    # intent (plus noise), after a realistic gap; whatever would land after
    # as_of has not happened yet.
    fit, intent = pl.col("fit"), pl.col("intent")
    def logit(b: float, salt: int) -> pl.Expr:
        return b + _W_FIT * fit + _W_INTENT * intent + 0.5 * r.normal(salt, p)
    comp = pl.col("email_kind") == 2
    ln_gap = lambda med_days, sigma, salt: ((math.log(med_days * _DAY) + sigma * r.normal(salt, p)).exp())  # noqa: E731
    mql_gap = pl.when(r.u(20, p) < 0.15).then(r.u(21, p) * 3600).otherwise(ln_gap(7, 1.1, 22))
    sql_gap = ln_gap(3, 0.9, 24)
    opp_gap = (7 + 14 * r.u(26, p)) * _DAY
    close_gap = (30 + 90 * r.u(27, p)) * _DAY
    df = df.with_columns(
        go_mql=(r.u(30, p) < _sigmoid(logit(_B_MQL, 31))) & ~comp,
        go_sql=r.u(33, p) < _sigmoid(logit(_B_SQL, 34)),
        go_opp=r.u(36, p) < _sigmoid(logit(_B_OPP, 37)),
        # Only ~40 opportunities close in the 3000-lead default sample, so its win
        # rate swings +-7 points around the calibrated 25%; salt 208 is a draw that
        # lands the committed sample inside the 20-30% band (population unchanged).
        won=r.u(208, p) < _sigmoid(logit(_B_WON, 209)),
        t_mql=pl.col("created") + mql_gap.cast(pl.Int64),
    ).with_columns(
        t_sql=pl.col("t_mql") + sql_gap.cast(pl.Int64),
    ).with_columns(
        t_opp=pl.col("t_sql") + opp_gap.cast(pl.Int64),
    ).with_columns(
        t_close=pl.col("t_opp") + close_gap.cast(pl.Int64),
    )
    reach_mql = pl.col("go_mql") & (pl.col("t_mql") <= as_of) & (pl.col("dup_kind") != 1)
    df = df.with_columns(r_mql=reach_mql).with_columns(
        r_sql=pl.col("r_mql") & pl.col("go_sql") & (pl.col("t_sql") <= as_of)
    ).with_columns(
        r_opp=pl.col("r_sql") & pl.col("go_opp") & (pl.col("t_opp") <= as_of)
    ).with_columns(
        r_close=pl.col("r_opp") & (pl.col("t_close") <= as_of)
    )
    # ~5% of advanced contacts skip a stage (a rep moved them straight on);
    # ~0.5% of MQLs (2.5% of SQLs) have SQL dated before MQL, as real CRMs do after manual edits.
    skip = pl.col("r_sql") & (r.u(42, p) < 0.05)
    swap = pl.col("r_sql") & ~skip & (r.u(43, p) < 0.025)
    back = (r.u(44, p) * 5 + 1).cast(pl.Int64) * _DAY
    df = df.with_columns(
        d_mql=pl.when(pl.col("r_mql") & ~(skip & ~pl.col("r_opp"))).then(pl.col("t_mql")),
        d_sql=pl.when(swap)
        .then(pl.col("t_mql") - back)
        .when(pl.col("r_sql") & ~(skip & pl.col("r_opp")))
        .then(pl.col("t_sql")),
        d_opp=pl.when(pl.col("r_opp")).then(pl.col("t_opp")),
        d_won=pl.when(pl.col("r_close") & pl.col("won")).then(pl.col("t_close")),
        d_lost=pl.when(pl.col("r_close") & ~pl.col("won")).then(pl.col("t_close")),
        # First sales touch: hours after MQL (log-normal, median ~6 h); ~10% never touched.
        d_engaged=pl.when(pl.col("r_mql") & (r.u(45, p) > 0.10)).then(
            pl.col("t_mql") + (math.log(6 * 3600) + 1.2 * r.normal(46, p)).exp().cast(pl.Int64)
        ),
    ).with_columns(
        d_engaged=pl.when(pl.col("d_engaged") <= as_of).then(pl.col("d_engaged")),
    )
    last_touch = pl.max_horizontal(
        "created", "d_mql", "d_sql", "d_opp", "d_won", "d_lost", "d_engaged"
    )
    # Kind-B duplicates differ from their source only by this draw (hashed on the row, not the person).
    df = df.with_columns(
        d_modified=(last_touch + (r.u(48, i) * 20 * _DAY).cast(pl.Int64)).clip(upper_bound=as_of),
    )
    return df


def _contacts_export(spec: SampleSpec, core: pl.DataFrame, acc: pl.DataFrame) -> pl.DataFrame:
    """Format the contacts core as a HubSpot contacts export."""
    r = _Rand(spec.seed, "contacts-fmt")
    p, i = pl.col("p"), pl.col("i")
    date_fmt = "%Y-%m-%d %H:%M"
    first = _take(_FIRST_NAMES, (r.u(1, p) * len(_FIRST_NAMES)).cast(pl.UInt32))
    last = _take(_LAST_NAMES, (r.u(2, p) * len(_LAST_NAMES)).cast(pl.UInt32))
    local_first = first.str.to_lowercase()
    local_last = last.str.to_lowercase().str.replace_all(r"[^a-z]", "")
    pat = r.u(3, p)
    company_local = (
        pl.when(pat < 0.55)
        .then(pl.concat_str([local_first, pl.lit("."), local_last]))
        .when(pat < 0.8)
        .then(pl.concat_str([local_first.str.slice(0, 1), local_last]))
        .otherwise(local_first)
    )
    personal_local = pl.concat_str(
        [local_first, pl.lit("."), local_last, (r.u(4, p) * 100).cast(pl.Int64).cast(pl.String)]
    )
    comp_code = (r.u(5, p) * len(_COMPETITORS)).cast(pl.UInt32)
    comp_domain = _take([d for _, d in _COMPETITORS], comp_code)
    acc_col = lambda name: pl.lit(acc[name]).gather(pl.col("acc"))  # noqa: E731
    personal_domain = _take(
        [d for d, _ in _PERSONAL_DOMAINS], _code([w for _, w in _PERSONAL_DOMAINS], r.u(6, p))
    )
    kind = pl.col("email_kind")
    email = (
        pl.when(kind == 0)
        .then(pl.concat_str([company_local, pl.lit("@"), acc_col("domain")]))
        .when(kind == 1)
        .then(pl.concat_str([personal_local, pl.lit("@"), personal_domain]))
        .otherwise(pl.concat_str([company_local, pl.lit("@"), comp_domain]))
    )
    # Kind-A duplicates: the same address typed differently.
    mangle = r.u(7, i)
    email = (
        pl.when(pl.col("dup_kind") != 1)
        .then(email)
        .when(mangle < 0.35)
        .then(email.str.to_uppercase())
        .when(mangle < 0.7)
        .then(pl.concat_str([email.str.to_titlecase(), pl.lit(" ")]))
        .otherwise(pl.concat_str([pl.lit(" "), email]))
    )
    title = _take([t for t, _, _ in _TITLES], pl.col("title"))
    deco = r.u(8, p)
    title = (
        pl.when(title == "")
        .then(None)
        .when(deco < 0.04)
        .then(title.str.to_uppercase())
        .when(deco < 0.08)
        .then(title.str.to_lowercase())
        .when(deco < 0.13)
        .then(pl.concat_str([title, pl.lit(" ")]))
        .otherwise(title)
    )
    company_name = (
        pl.when(kind == 0)
        .then(
            pl.when(r.u(9, p) < 0.1).then(acc_col("name").str.to_lowercase()).otherwise(acc_col("name"))
        )
        .when(kind == 2)
        .then(_take([c for c, _ in _COMPETITORS], comp_code))
        .when(r.u(10, p) < 0.4)
        .then(_take(_NAME_PREFIXES, (r.u(11, p) * len(_NAME_PREFIXES)).cast(pl.UInt32)))
    )
    website = pl.when(kind == 0).then(acc_col("domain")).when(kind == 2).then(comp_domain)
    emp = acc_col("emp")
    u_emp = r.u(12, p)
    n_emp = pl.when((kind == 0) & (u_emp > 0.12)).then(_fmt_int(emp, u_emp > 0.85))
    revenue = pl.when((kind == 0) & (r.u(13, p) > 0.4)).then(
        (emp * acc_col("rev_per_emp")).cast(pl.Int64).cast(pl.String)
    )
    industry = pl.when((kind == 0) & (r.u(14, p) > 0.1)).then(acc_col("industry"))
    country = _take_str([c for c, _, _, _ in _COUNTRIES], pl.col("country_code"))
    region_list: list[str] = []
    offsets, lengths = [], []
    for _, _, _, key in _COUNTRIES:
        vals = _REGIONS.get(key, [])
        offsets.append(len(region_list))
        lengths.append(len(vals))
        region_list.extend(vals)
    reg_len = _take(lengths, pl.col("country_code"), pl.Int64)
    reg_idx = _take(offsets, pl.col("country_code"), pl.Int64) + (r.u(15, p) * reg_len).floor().cast(pl.Int64)
    region = pl.when((reg_len > 0) & (r.u(16, p) > 0.15)).then(
        _take(region_list, reg_idx.cast(pl.UInt32).clip(upper_bound=len(region_list) - 1))
    )
    tech = pl.when((kind == 0) & (r.u(17, p) > 0.4)).then(acc_col("tech"))
    tech = pl.when(tech != "").then(tech)

    stage = (
        pl.when(pl.col("d_won").is_not_null())
        .then(pl.lit("customer"))
        .when(pl.col("r_opp"))
        .then(pl.lit("opportunity"))
        .when(pl.col("r_sql"))
        .then(pl.lit("salesqualifiedlead"))
        .when(pl.col("r_mql"))
        .then(pl.lit("marketingqualifiedlead"))
        .when(r.u(18, p) < 0.2)
        .then(pl.lit("subscriber"))
        .when(r.u(18, p) < 0.23)
        .then(pl.lit("other"))
        .otherwise(pl.lit("lead"))
    )
    u_ls = r.u(19, p)
    lead_status = (
        pl.when(pl.col("d_won").is_not_null())
        .then(pl.lit("CONNECTED"))
        .when(pl.col("d_lost").is_not_null())
        .then(pl.when(u_ls < 0.6).then(pl.lit("BAD_TIMING")).otherwise(pl.lit("UNQUALIFIED")))
        .when(pl.col("r_opp"))
        .then(pl.lit("OPEN_DEAL"))
        .when(pl.col("r_sql"))
        .then(pl.lit("IN_PROGRESS"))
        .when(pl.col("r_mql"))
        .then(
            pl.when(pl.col("d_engaged").is_null())
            .then(pl.lit("NEW"))
            .when(u_ls < 0.4)
            .then(pl.lit("ATTEMPTED_TO_CONNECT"))
            .when(u_ls < 0.7)
            .then(pl.lit("CONNECTED"))
            .when(u_ls < 0.85)
            .then(pl.lit("UNQUALIFIED"))
            .otherwise(pl.lit("BAD_TIMING"))
        )
        .when(u_ls < 0.5)
        .then(None)
        .when(u_ls < 0.85)
        .then(pl.lit("NEW"))
        .otherwise(pl.lit("OPEN"))
    )
    u_demo = r.u(20, p)
    demo = (
        pl.when(u_demo < 0.45)
        .then(None)
        .when(pl.col("r_sql") & (u_demo < 0.85))
        .then(pl.lit("true"))
        .when(pl.col("r_mql") & (u_demo < 0.6))
        .then(pl.lit("true"))
        .when(u_demo < 0.47)
        .then(pl.lit("true"))
        .otherwise(pl.lit("false"))
    )
    return core.select(
        pl.col("rid").cast(pl.String).alias("Record ID"),
        first.alias("First Name"),
        last.alias("Last Name"),
        email.alias("Email"),
        title.alias("Job Title"),
        company_name.alias("Company Name"),
        website.alias("Website URL"),
        n_emp.alias("Number of Employees"),
        revenue.alias("Annual Revenue"),
        industry.alias("Industry"),
        country.alias("Country/Region"),
        region.alias("State/Region"),
        _take_str([s for s, _, _ in _SOURCES], pl.col("source")).alias("Original Source"),
        stage.alias("Lifecycle Stage"),
        lead_status.alias("Lead Status"),
        _fmt_ts(pl.col("created"), date_fmt).alias("Create Date"),
        _fmt_ts(pl.col("d_mql"), date_fmt).alias("Became a Marketing Qualified Lead Date"),
        _fmt_ts(pl.col("d_sql"), date_fmt).alias("Became a Sales Qualified Lead Date"),
        _fmt_ts(pl.col("d_opp"), date_fmt).alias("Became an Opportunity Date"),
        _fmt_ts(pl.col("d_won"), date_fmt).alias("Became a Customer Date"),
        _fmt_ts(pl.col("d_lost"), date_fmt).alias("Closed Lost Date"),
        _fmt_ts(pl.col("d_engaged"), date_fmt).alias("Date of first engagement"),
        _fmt_ts(pl.col("d_modified"), date_fmt).alias("Last Modified Date"),
        (pl.col("acc") + _COMPANY_ID_BASE).cast(pl.String).alias("Associated Company ID"),
        demo.alias("Requested Demo"),
        tech.alias("Technologies"),
    )


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


def _url_table() -> tuple[list[str], list[int], list[int]]:
    """One flat URL vocabulary plus, per event type, its (offset, length) slice.

    Weighted page mixes are expressed by repeating entries, so picking a URL is
    a single numeric index and one gather whatever the event type.
    """
    pages = (
        [f"{_WEBSITE}/"] * 12
        + [f"{_WEBSITE}/blog/{s}" for s in _BLOG] * 2
        + [f"{_WEBSITE}/pricing"] * 6
        + [f"{_WEBSITE}/product/{s}" for s in _PRODUCT] * 2
        + [f"{_WEBSITE}/case-studies/{s}" for s in _CASES]
        + [f"{_WEBSITE}/careers"] * 2
        + [f"{_WEBSITE}/docs/{s}" for s in _DOCS]
        + [f"{_WEBSITE}/integrations", f"{_WEBSITE}/about"]
    )
    per_type: dict[str, list[str]] = {
        "page_view": pages,
        "content_download": [f"{_WEBSITE}/blog/{s}" for s in _BLOG[:6]]
        + [f"{_WEBSITE}/ebooks/{s}" for s in _EBOOKS] * 2
        + [f"{_WEBSITE}/case-studies/{s}" for s in _CASES[:3]],
        "webinar_registered": [f"{_WEBSITE}/webinars/{s}" for s in _WEBINARS],
        "webinar_attended": [f"{_WEBSITE}/webinars/{s}" for s in _WEBINARS],
        "form_submit": [f"{_WEBSITE}/contact", f"{_WEBSITE}/newsletter", f"{_WEBSITE}/newsletter"],
        "demo_request": [f"{_WEBSITE}/demo"],
        "signed_up": [f"{_APP}/signup"],
        "invited_teammate": [f"{_APP}/settings/team"],
        "connected_integration": [f"{_APP}/integrations/{s}" for s in ("salesforce", "hubspot", "slack", "segment")],
        "used_core_feature": [f"{_APP}/{s}" for s in ("scores", "rulesets", "segments", "reports")],
        "hit_usage_limit": [f"{_APP}/billing"],
        "unsubscribe": [f"{_WEBSITE}/email-preferences"],
    }
    flat: list[str] = []
    offsets, lengths = [], []
    for name, _, _ in _EVENT_TYPES:
        vals = per_type.get(name, [])
        offsets.append(len(flat))
        lengths.append(len(vals))
        flat.extend(vals)
    return flat, offsets, lengths


def _campaign_table() -> tuple[list[str], list[int], list[int]]:
    """Like :func:`_url_table`, for the Campaign column ("" = no campaign)."""
    per_type: dict[str, list[str]] = {
        "page_view": [""] * 34 + _CAMPAIGNS_WEB,
        "email_open": _CAMPAIGNS_EMAIL,
        "email_click": _CAMPAIGNS_EMAIL,
        "unsubscribe": _CAMPAIGNS_EMAIL,
        "content_download": ["Ebook: State of B2B Marketing 2026", "Ebook: Lead Scoring Handbook", ""],
        "webinar_registered": [f"Webinar: {w}" for w in _WEBINARS],
        "webinar_attended": [f"Webinar: {w}" for w in _WEBINARS],
        "form_submit": ["", "2026-Q4 Newsletter"],
        "demo_request": ["", "", "google-nonbrand-lead-scoring", "g2-comparison"],
    }
    flat: list[str] = [""]
    offsets, lengths = [], []
    for name, _, _ in _EVENT_TYPES:
        vals = per_type.get(name, [""])
        offsets.append(len(flat))
        lengths.append(len(vals))
        flat.extend(vals)
    return flat, offsets, lengths


def _event_contacts(spec: SampleSpec, core: pl.DataFrame) -> pl.DataFrame:
    """Per-contact inputs of event generation: ids, activity window, recency tilt, weights."""
    r = _Rand(spec.seed, "event-weights")
    as_of = _epoch(spec.as_of)
    ev_start = _months_before(spec.as_of, spec.event_months)
    p = pl.col("p")
    full = float(as_of - ev_start)
    return core.select(
        "p",
        "rid",
        "acc",
        "intent",
        win_start=pl.max_horizontal(pl.col("created"), pl.lit(ev_start)),
    ).with_columns(
        # Heavy tail: log-normal activity, strongly tied to intent, scaled by how
        # much of the event window the contact has existed for.
        w=(1.6 * pl.col("intent") + 1.0 * r.normal(1, p)).exp()
        * ((as_of - pl.col("win_start")) / full).clip(lower_bound=0.01),
        high=pl.col("intent") > 0.8,
    ).with_columns(cum=pl.col("w").cum_sum() / pl.col("w").sum()).drop("p", "w")


def _events_chunk(
    spec: SampleSpec, ec: pl.DataFrame, first: int, rows: int, n_contacts: int
) -> pl.DataFrame:
    """Events ``first .. first + rows`` of the log (independent of chunking)."""
    r = _Rand(spec.seed, "events")
    as_of = _epoch(spec.as_of)
    k = pl.col("k")
    urls, u_off, u_len = _url_table()
    camps, c_off, c_len = _campaign_table()
    types = [t for t, _, _ in _EVENT_TYPES]
    product = {"signed_up", "invited_teammate", "connected_integration", "used_core_feature", "hit_usage_limit"}
    df = pl.select(k=pl.int_range(first, first + rows, dtype=pl.Int64))
    # Which contact: inverse-CDF over the cumulative activity weights.
    df = df.with_columns(
        c=pl.lit(ec["cum"]).search_sorted(r.u(1, k), side="left").cast(pl.Int64).clip(upper_bound=n_contacts - 1)
    )
    g = lambda name: pl.lit(ec[name]).gather(pl.col("c"))  # noqa: E731
    high = g("high")
    t_code = pl.when(high).then(_code([h for _, _, h in _EVENT_TYPES], r.u(2, k))).otherwise(
        _code([lo for _, lo, _ in _EVENT_TYPES], r.u(2, k))
    )
    df = df.with_columns(t=t_code, win_start=g("win_start"), intent=g("intent"), rid=g("rid"), acc=g("acc"))
    # Recency: u ** (1 / (1 + tilt)) piles high-intent activity near as_of.
    tilt = 1.0 + 0.3 * pl.col("intent").clip(0.0, 3.0)
    ts = pl.col("win_start") + ((as_of - 1 - pl.col("win_start")) * r.u(3, k).pow(1.0 / tilt)).cast(pl.Int64)
    u_len_e = _take(u_len, pl.col("t"), pl.Int64)
    url_idx = _take(u_off, pl.col("t"), pl.Int64) + (r.u(4, k) * u_len_e).floor().cast(pl.Int64)
    c_idx = _take(c_off, pl.col("t"), pl.Int64) + (
        r.u(5, k) * _take(c_len, pl.col("t"), pl.Int64)
    ).floor().cast(pl.Int64)
    is_product = pl.col("t").is_in([types.index(t) for t in product])
    # ~1% of events belong to contacts that are not in the export (deleted or never synced).
    unknown = r.u(6, k) < 0.01
    rid = pl.when(unknown).then(
        _RECORD_ID_BASE + spec.leads + (r.u(7, k) * max(1, spec.leads // 10)).floor().cast(pl.Int64)
    ).otherwise(pl.col("rid"))
    workspace = pl.when(is_product).then(
        pl.when(pl.col("acc").is_not_null())
        .then(pl.concat_str([pl.lit("ws_"), (pl.col("acc") + _COMPANY_ID_BASE).cast(pl.String)]))
        .otherwise(pl.concat_str([pl.lit("ws_p"), pl.col("rid").cast(pl.String)]))
    )
    out = df.select(
        pl.col("k"),
        ts=ts,
        **{
            "Contact ID": rid.cast(pl.String),
            "Event Type": _take_str(types, pl.col("t")),
            "Page URL": pl.when(u_len_e > 0).then(
                _take_str(urls, url_idx.clip(upper_bound=len(urls) - 1).cast(pl.UInt32))
            ),
            "Campaign": _take_str(camps, c_idx.cast(pl.UInt32)),
            "Workspace ID": workspace,
        },
    )
    # Activity logs come in time order; k breaks ties so the order is total.
    out = out.sort(["ts", "k"])
    return out.select(
        "Contact ID",
        "Event Type",
        _fmt_ts(pl.col("ts"), "%Y-%m-%dT%H:%M:%SZ").alias("Timestamp"),
        "Page URL",
        "Campaign",
        "Workspace ID",
    )


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _check(spec: SampleSpec) -> None:
    if spec.leads < 1 or spec.events < 0:
        raise ValueError(f"need leads >= 1 and events >= 0, got leads={spec.leads}, events={spec.events}")
    if spec.as_of.tzinfo is None:
        raise ValueError("SampleSpec.as_of must be timezone-aware (UTC)")
    if spec.history_months < 1 or spec.event_months < 1:
        raise ValueError("history_months and event_months must be >= 1")


def _cores(spec: SampleSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    _check(spec)
    acc = _accounts_core(spec)
    return acc, _contacts_core(spec, acc)


def iter_event_chunks(spec: SampleSpec, chunk_rows: int = 5_000_000) -> Iterator[pl.DataFrame]:
    """Yield the events table in chunks of at most ``chunk_rows`` rows.

    Each chunk is sorted by timestamp; chunks are not ordered relative to each
    other. Concatenating the chunks gives the same rows whatever ``chunk_rows``
    is (only the order differs), because every draw hashes the global event index.

    Args:
        spec: What to generate.
        chunk_rows: Maximum rows per chunk.

    Yields:
        DataFrames with the events columns.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    _, core = _cores(spec)
    ec = _event_contacts(spec, core)
    del core  # only the few per-contact columns in ec are needed from here on
    yield from _iter_events(spec, ec, chunk_rows)


def _iter_events(spec: SampleSpec, ec: pl.DataFrame, chunk_rows: int) -> Iterator[pl.DataFrame]:
    for first in range(0, spec.events, chunk_rows):
        yield _events_chunk(spec, ec, first, min(chunk_rows, spec.events - first), ec.height)


def generate(spec: SampleSpec) -> dict[str, pl.DataFrame]:
    """Generate the whole sample in memory.

    Args:
        spec: What to generate.

    Returns:
        ``{"contacts": ..., "accounts": ..., "events": ...}``; all columns are strings,
        formatted as the exports they imitate. Events are in time order.
    """
    acc, core = _cores(spec)
    ec = _event_contacts(spec, core)
    chunks = list(_iter_events(spec, ec, max(1, spec.events)))
    events = pl.concat(chunks) if chunks else _events_chunk(spec, ec, 0, 0, ec.height)
    return {
        "contacts": _contacts_export(spec, core, acc),
        "accounts": _accounts_export(acc),
        "events": events,
    }


def _write(df: pl.DataFrame, path: str, fmt: str) -> None:
    if fmt == "csv":
        df.write_csv(path)
    else:
        df.write_parquet(path, statistics=True)


def write_sample(
    spec: SampleSpec,
    out_dir: str,
    *,
    fmt: str = "csv",
    events_per_file: str = "month",
    chunk_rows: int = 5_000_000,
) -> list[str]:
    """Generate the sample and write it under ``out_dir``.

    Writes ``contacts.<fmt>``, ``accounts.<fmt>`` and ``events/events-YYYY-MM.<fmt>``
    (one file per calendar month, so readers exercise globs). When the events do
    not fit in one chunk they are generated chunk by chunk, and each chunk writes
    its own ``events/events-YYYY-MM-partNNNN.<fmt>`` files, so memory stays bounded.

    Args:
        spec: What to generate.
        out_dir: Output directory (created if missing).
        fmt: "csv" or "parquet".
        events_per_file: "month" (one file per month) or "all" (a single
            ``events/events.<fmt>`` per chunk).
        chunk_rows: Maximum events generated at a time.

    Returns:
        The paths written, in order.

    Raises:
        ValueError: On an unknown ``fmt`` or ``events_per_file``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    if events_per_file not in ("month", "all"):
        raise ValueError(f"events_per_file must be 'month' or 'all', got {events_per_file!r}")
    acc, core = _cores(spec)
    ev_dir = os.path.join(out_dir, "events")
    os.makedirs(ev_dir, exist_ok=True)
    written: list[str] = []
    for name, df in (("contacts", _contacts_export(spec, core, acc)), ("accounts", _accounts_export(acc))):
        path = os.path.join(out_dir, f"{name}.{fmt}")
        _write(df, path, fmt)
        written.append(path)
    # Free the wide per-contact frames before the event loop: memory stays bounded
    # by one chunk plus a handful of per-contact columns.
    ec = _event_contacts(spec, core)
    del acc, core
    n_chunks = max(1, -(-spec.events // chunk_rows))
    for part, chunk in enumerate(_iter_events(spec, ec, chunk_rows)):
        suffix = f"-part{part:04d}" if n_chunks > 1 else ""
        if events_per_file == "all":
            groups = [("", chunk)]
        else:
            chunk = chunk.with_columns(_m=pl.col("Timestamp").str.slice(0, 7))
            groups = [
                (f"-{key[0]}", g.drop("_m"))
                for key, g in chunk.group_by("_m", maintain_order=True)
            ]
            groups.sort(key=lambda kv: kv[0])
        for label, g in groups:
            path = os.path.join(ev_dir, f"events{label}{suffix}.{fmt}")
            _write(g, path, fmt)
            written.append(path)
    return written


if __name__ == "__main__":
    import time

    parser = argparse.ArgumentParser(
        prog="python -m leadq.sample", description="Write a deterministic sample CRM export."
    )
    parser.add_argument("--leads", type=int, default=SampleSpec.leads)
    parser.add_argument("--events", type=int, default=SampleSpec.events)
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--seed", type=int, default=SampleSpec.seed)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--events-per-file", choices=["month", "all"], default="month")
    parser.add_argument("--chunk-rows", type=int, default=5_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    paths = write_sample(
        SampleSpec(leads=args.leads, events=args.events, accounts=args.accounts, seed=args.seed),
        args.out,
        fmt=args.format,
        events_per_file=args.events_per_file,
        chunk_rows=args.chunk_rows,
    )
    for path in paths:
        print(path)
    print(f"{len(paths)} files in {time.perf_counter() - t0:.1f}s")
