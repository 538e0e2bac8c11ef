"""The activity log: web, e-mail, webinar and product events for the contacts.

``_url_table`` and ``_campaign_table`` flatten the page and campaign lists per
event type; ``_event_contacts`` derives each contact's activity window,
cumulative activity weight and high-intent flag from the contacts core;
``_events_chunk`` produces any slice of the log, in time order, from draws
hashed on the global event index, so the rows do not depend on how the log is
cut into chunks.
"""

from __future__ import annotations

import polars as pl

from leadq.sample.draws import (
    _code,
    _epoch,
    _fmt_ts,
    _months_before,
    _Rand,
    _take,
    _take_str,
)
from leadq.sample.spec import (
    _APP,
    _COMPANY_ID_BASE,
    _RECORD_ID_BASE,
    _WEBSITE,
    SampleSpec,
)
from leadq.sample.vocabulary import (
    _BLOG,
    _CAMPAIGNS_EMAIL,
    _CAMPAIGNS_WEB,
    _CASES,
    _DOCS,
    _EBOOKS,
    _EVENT_TYPES,
    _PRODUCT,
    _WEBINARS,
)


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
