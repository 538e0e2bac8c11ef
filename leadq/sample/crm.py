"""The CRM exports: HubSpot-like companies (accounts) and contacts.

Accounts get a hidden fit (size, industry, country, technologies) and are
formatted as a companies export; contacts get identity, duplicates, a hidden
fit and intent, and a funnel history (MQL, SQL, opportunity, won or lost, with
their dates) driven by both, and are formatted as a contacts export with the
mess real exports carry. ``_accounts_core`` and ``_contacts_core`` return the
unformatted frames the activity log (:mod:`leadq.sample.events`) also reads.
"""

from __future__ import annotations

import math

import polars as pl

from leadq.sample.draws import (
    _code,
    _epoch,
    _fmt_int,
    _fmt_ts,
    _months_before,
    _Rand,
    _sigmoid,
    _take,
    _take_str,
)
from leadq.sample.spec import _COMPANY_ID_BASE, _DAY, _RECORD_ID_BASE, SampleSpec
from leadq.sample.vocabulary import (
    _COMPETITORS,
    _COUNTRIES,
    _FIRST_NAMES,
    _INDUSTRIES,
    _LAST_NAMES,
    _NAME_PREFIXES,
    _NAME_ROOTS,
    _NAME_SUFFIXES,
    _PERSONAL_DOMAINS,
    _REGIONS,
    _SOURCES,
    _TECHS,
    _TITLES,
    _TLDS,
)

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
