"""Contacts + accounts + activity -> one scored frame, built lazily and collected once.

The pipeline:

1. maps and types the CRM columns (:mod:`leadq.cleaning`), flagging values
   that cannot be read;
2. rejects rows with no lead id, with unreadable values in fields the ruleset
   uses, and duplicates (keeping the most recently updated row; events of an
   e-mail duplicate are merged into the kept lead);
3. joins account fields (contact values win; account values fill blanks);
4. aggregates activity per lead (:mod:`leadq.activity_input`, with the
   expressions of :mod:`leadq.activity`);
5. applies the compiled ruleset (:mod:`leadq.compiler`), then the action sections:
   account tier, routing, SLAs and nurture tracks (:func:`leadq.actions.with_actions`,
   which the SQL engines apply to their query's result too);
6. collects the scored frame, the rejects and the run's counts together.

Every input row ends in exactly one place: the scored output or the rejects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, BinaryIO, Sequence

import polars as pl

from leadq.accounts import KEY_COLUMN, accounts_from_leads, carried_account_columns, lead_workspaces, uses_workspaces
from leadq.actions import action_columns, check_rollup, with_actions
from leadq.activity import (
    _id_shape, event_accounting, event_count_columns, finish_aggregates, known_event_columns, most_events_unknown,
    unknown_lead_examples, unreadable_time_examples,
)
from leadq.activity_input import aggregate_activity, event_fields_needed, read_activity_files
from leadq.cleaning import email_domain, map_columns, polars_type, stripped_text
from leadq.dedupe import drop_duplicates
from leadq.compiler import compile_ruleset
from leadq.conditions import Type
from leadq.csv_input import free_name
from leadq.errors import RulesetError, UnknownKeptColumnError, UsageError
from leadq.fields import OUTPUT_COLUMNS
from leadq.input_columns import (
    check_columns, check_file_columns, check_not_repeated, number_columns, used_contact_fields,
)
from leadq.inputs import (
    STDIN_LABEL, InputFile, ReadOptions, concat_inputs, error_cells_in, expand_inputs, input_error_from_polars,
    read_input_files, run_counted,
)
from leadq.progress import stage
from leadq.routing import account_keys
from leadq.ruleset import Ruleset
from leadq.scratch import ScratchFolder
from leadq.titles import TITLE_FIELDS, maps_titles, top_unmatched_titles, unmatched_title_text, with_ruleset_titles

EVENT_STATS = ("_stat_read", "_stat_unreadable", "_stat_in_window", "_stat_unknown", "_stat_untimed")


@dataclass
class RunStats:
    """Counts that account for every input row and event."""

    as_of: datetime
    files: list[dict] = field(default_factory=list)  # {"file", "rows", "scored", "rejected"}
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    blanked_values: dict[str, int] = field(default_factory=dict)
    ranged_values: dict[str, int] = field(default_factory=dict)  # column -> values read from ranges ("51-200")
    missing_columns: list[str] = field(default_factory=list)  # mapped columns absent from every input file
    partly_missing_columns: dict[str, list[str]] = field(default_factory=dict)  # file -> mapped columns it lacks
    # file -> what of a workbook report was left out: {header_row, rows_above, rows_below} (leadq.excel_input)
    report_rows: dict[str, dict] = field(default_factory=dict)
    # file -> a workbook's error cells in mapped columns, read as blank: [{sheet, column, count, first_cell, ...}]
    error_cells: dict[str, list[dict]] = field(default_factory=dict)
    events_read: int = 0
    events_scored: int = 0
    events_unknown_lead: int = 0
    events_unreadable: int = 0
    events_by_rule: dict[str, int] = field(default_factory=dict)  # event rule id -> events it counted
    # When most readable events name no scored lead: the id columns and a few ids of each side
    # ({log_column, contacts_column, log, contacts}; empty otherwise: unknown_lead_examples)
    events_unknown_examples: dict = field(default_factory=dict)
    # Of events_unreadable, the events with a lead id but no readable time (blank or not a date); None: not
    # counted (an engine that does not count them)
    events_untimed: int | None = None
    # When some are: the log's time column, a few of its values that are no date, and the date order that
    # reads them ({column, examples, date_order, date_orders_reading, fix}: activity.unreadable_time_examples)
    events_untimed_examples: dict = field(default_factory=dict)
    # Whether an activity log was given to a ruleset with event rules (False: its event rules count nothing,
    # which the summary and explain say); None: the ruleset has no event rules, or the engine did not say
    activity_log: bool | None = None
    unmatched_titles: int = 0
    # The most frequent of them, [{title, count}] (titles.top_unmatched_titles); None: not computed
    unmatched_titles_top: list[dict] | None = None
    # With --accounts: how the contacts' account ids met the accounts file (pipeline.account_accounting)
    accounts_file: dict | None = None
    # Scored leads whose created_at is after the as-of time (a backfill of data exported later); None when
    # the ruleset maps no created_at. They stay in the output: every input lead ends in exactly one place.
    created_after_as_of: int | None = None

    @property
    def input_rows(self) -> int:
        """Contact rows read."""
        return sum(f["rows"] for f in self.files)

    @property
    def rejected(self) -> int:
        """Contact rows rejected."""
        return sum(f["rejected"] for f in self.files)

    def rows_by_file(self) -> dict[str, int]:
        """Contact rows read, by file."""
        return {f["file"]: f["rows"] for f in self.files}


@dataclass
class ScoreResult:
    """What a scoring run produces."""

    scored: pl.DataFrame
    rejects: pl.DataFrame
    stats: RunStats
    ruleset: Ruleset
    detail: pl.DataFrame | None = None  # every internal column, for explain/calibrate
    accounts: pl.DataFrame | None = None  # one row per account, with rollup="account"
    account_keys: pl.DataFrame | None = None  # lead_id, _account_key with an assign: account route (--previous)


def _reject_reason(ruleset: Ruleset, bad_fields: list[str], required: set[str]) -> pl.Expr:
    reasons = [pl.when(pl.col("lead_id").is_null()).then(pl.lit("missing lead id"))]
    for name in bad_fields:
        if name in required:
            col = ruleset.columns[name]
            kind = {Type.NUMBER: "number", Type.BOOL: "true/false value", Type.DATETIME: "date"}[col.type]
            reasons.append(pl.when(pl.col(f"_bad__{name}")).then(pl.lit(f"unreadable {kind} in '{col.column}'")))
    return pl.coalesce(reasons)


def read_account_files(specs: Sequence[str], *rulesets: Ruleset, options: ReadOptions = ReadOptions(),
                       stdin: BinaryIO | None = None) -> list[InputFile]:
    """The accounts export's files (:func:`leadq.inputs.read_input_files`), none when ``specs`` is empty.

    A CSV or Excel row blank in every column the rulesets map is a blank row, so that the
    other columns are not parsed: such a row has no account id, and :func:`_with_accounts`
    leaves it out (uncounted) whatever its other columns hold.
    """
    if not specs:
        return []
    columns = [c for r in rulesets for c in r.account_columns.values()]
    return read_input_files(specs, options, stdin=stdin, row_columns={c.column for c in columns},
                            number_columns=number_columns(columns))


# The contacts' side of the accounts join, summed after the one collect (account_accounting): whether each
# contact's account id is in the accounts file (null: no account id), and the id when it is not.
ACCOUNT_MATCH, ACCOUNT_UNMATCHED_ID = "_acct_join", "_acct_unmatched_id"
ACCOUNT_EXAMPLES = 5  # ids shown of each kind (unmatched, duplicated, likely the same)


def _with_accounts(contacts: pl.LazyFrame, accounts: pl.LazyFrame, ruleset: Ruleset,
                   label: str) -> tuple[pl.LazyFrame, pl.LazyFrame | None]:
    """The contacts with the accounts file's fields (contact values win), and a plan of the file's rows per
    account id (a null id included), for :func:`account_accounting`; None for an export of no accounts.

    Each contact also gets :data:`ACCOUNT_MATCH` and :data:`ACCOUNT_UNMATCHED_ID`: an account id the file
    lacks ('ACC-00101' against the file's 'acc-00101') left the contact without the firmographics with no word.
    """
    schema = accounts.collect_schema()
    if all(c.startswith("_source_") for c in schema):  # zero bytes: an export of no accounts
        return _matched(_without_accounts(contacts, ruleset), None), None
    check_columns(schema, ruleset.account_columns, {"account_id"}, label)
    if "account_id" not in contacts.collect_schema():
        raise RulesetError("account_columns: the accounts file is joined on the contacts' account id: map "
                           "'account_id' under 'columns' too (the CRM column that holds each contact's account id)",
                           ruleset.account_columns["account_id"].pos)
    typed = map_columns(accounts, schema, ruleset.account_columns, ruleset.settings)
    fields = [f for f in ruleset.account_columns if f != "account_id"]
    per_id = typed.group_by("account_id", maintain_order=True).agg(pl.len().alias("rows"))
    typed = (typed.filter(pl.col("account_id").is_not_null())
             .unique("account_id", keep="first", maintain_order=True)
             .select(["account_id", pl.lit(True).alias("_acct_in_file")]
                     + [pl.col(f).alias(f"_acct__{f}") for f in fields]))
    joined = _matched(contacts.join(typed, on="account_id", how="left"), pl.col("_acct_in_file").is_not_null())
    exprs = []
    for f in fields:
        if f in ruleset.columns:
            exprs.append(pl.coalesce(pl.col(f), pl.col(f"_acct__{f}")).alias(f))
        else:
            exprs.append(pl.col(f"_acct__{f}").alias(f))
    return joined.with_columns(exprs).drop(["_acct_in_file"] + [f"_acct__{f}" for f in fields]), per_id


def _matched(contacts: pl.LazyFrame, found: pl.Expr | None) -> pl.LazyFrame:
    """:data:`ACCOUNT_MATCH` and :data:`ACCOUNT_UNMATCHED_ID` (``found``: the file has the id; None: no file rows)."""
    if "account_id" not in contacts.collect_schema():
        return contacts.with_columns(pl.lit(None, pl.Boolean).alias(ACCOUNT_MATCH),
                                     pl.lit(None, pl.String).alias(ACCOUNT_UNMATCHED_ID))
    has_id = pl.col("account_id").is_not_null()
    found = pl.lit(False) if found is None else found
    return contacts.with_columns(pl.when(has_id).then(found).alias(ACCOUNT_MATCH),
                                 pl.when(has_id & ~found).then(pl.col("account_id")).alias(ACCOUNT_UNMATCHED_ID))


def _without_accounts(contacts: pl.LazyFrame, ruleset: Ruleset) -> pl.LazyFrame:
    """Fields mapped only under account_columns, blank: no accounts file, or an empty one (the summary says so)."""
    only = {f: c for f, c in ruleset.account_columns.items() if f not in ruleset.columns}
    return contacts.with_columns(pl.lit(None, dtype=polars_type(c.type)).alias(f) for f, c in only.items())


def account_accounting(per_id: pl.DataFrame | None, match: pl.Series, unmatched_ids: pl.Series) -> dict:
    """How the contacts' account ids met the accounts file: ``RunStats.accounts_file``.

    Args:
        per_id: the file's rows per account id (:func:`_with_accounts`; a null id for rows without one),
            in file order; None for an export of no accounts.
        match: each scored contact's :data:`ACCOUNT_MATCH`.
        unmatched_ids: each scored contact's :data:`ACCOUNT_UNMATCHED_ID`, in input order.

    Returns:
        ``rows`` (of the file), ``rows_without_id``, ``duplicate_ids`` (ids on more than one row: the
        first row of each is joined) and ``duplicate_examples``; ``contacts_with_account_id``, ``matched``,
        ``unmatched`` and ``unmatched_examples`` (distinct ids, first seen first); ``likely_same``: pairs
        [contact's id, file's id] that differ only in case, leading zeros or a ".0"
        (:func:`leadq.activity._id_shape`, as the activity log's unknown lead ids are paired).
    """
    if per_id is None:
        per_id = pl.DataFrame(schema={"account_id": pl.String, "rows": pl.UInt32})
    ids = per_id.filter(pl.col("account_id").is_not_null())
    duplicated = ids.filter(pl.col("rows") > 1)["account_id"]
    with_id = match.len() - match.null_count()
    matched = int(match.sum() or 0)
    unmatched = unmatched_ids.drop_nulls().unique(maintain_order=True)
    shaped = ids.select("account_id", _id_shape(pl.col("account_id")).alias("_shape")) \
        .unique("_shape", keep="first", maintain_order=True)
    pairs = pl.DataFrame({"contact": unmatched}) \
        .with_columns(_id_shape(pl.col("contact")).alias("_shape")) \
        .join(shaped, on="_shape", maintain_order="left").head(ACCOUNT_EXAMPLES)
    return {"rows": int(per_id["rows"].sum()), "rows_without_id": int(per_id["rows"].sum() - ids["rows"].sum()),
            "duplicate_ids": duplicated.len(), "duplicate_examples": duplicated.head(ACCOUNT_EXAMPLES).to_list(),
            "contacts_with_account_id": with_id, "matched": matched, "unmatched": with_id - matched,
            "unmatched_examples": unmatched.head(ACCOUNT_EXAMPLES).to_list(),
            "likely_same": [list(p) for p in pairs.select("contact", "account_id").rows()]}


def score_frames(ruleset: Ruleset, contacts: pl.LazyFrame, events: pl.LazyFrame | None = None,
                 accounts: pl.LazyFrame | None = None, **options: Any) -> ScoreResult:
    """Score contacts (raw CRM columns) with the ruleset.

    Args:
        ruleset: a loaded ruleset.
        contacts: raw contacts; ``_source_file`` / ``_source_row`` are used when present.
        events: raw activity log, or None.
        accounts: raw accounts export, or None.
        as_of: "now" for decay and windows (default: current UTC time).
        keep_columns: raw contact columns to carry into the output.
        detail: also return every internal column (rule hits and points).
        funnel_detail: also return, as ``detail``, the output columns with the typed fields the
            compact funnel reads (stage dates, lifecycle stage, company size): a few columns
            instead of every internal one (at 1M leads the full detail cost 6-10 s).
        lead_ids: score only these leads (after de-duplication, so the kept row is the one
            a full run keeps); their events are still all aggregated. Scored and event
            counts then cover only these leads. Used by ``leadq explain``.
        rollup: ``"account"`` also returns one row per account (``ScoreResult.accounts``;
            needs an ``accounts`` section). Leads get ``account_tier`` whenever the
            ruleset has that section.
        contacts_files, events_files, accounts_files: the files each input was concatenated
            from (:func:`leadq.inputs.read_input_files`), so that every file is checked for the
            columns the ruleset needs, not just their union; mapped columns only some files
            lack are listed in ``stats.partly_missing_columns``.

    Large activity logs are aggregated into temporary files, and large text
    contacts typed into one, removed when the function returns or raises
    (:class:`leadq.scratch.ScratchFolder`).

    Raises:
        MissingColumnsError, InputError: when the inputs do not fit the ruleset.
    """
    with ScratchFolder() as scratch:
        return _score_frames(ruleset, contacts, events, accounts, scratch=scratch, **options)


def _score_frames(
    ruleset: Ruleset,
    contacts: pl.LazyFrame,
    events: pl.LazyFrame | None = None,
    accounts: pl.LazyFrame | None = None,
    *,
    as_of: datetime | None = None,
    keep_columns: Sequence[str] = (),
    detail: bool = False,
    funnel_detail: bool = False,
    lead_ids: Sequence[str] | None = None,
    contacts_label: str = "contacts",
    events_label: str = "activities",
    rollup: str | None = None,
    contacts_files: Sequence[InputFile] = (),
    events_files: Sequence[InputFile] = (),
    accounts_files: Sequence[InputFile] = (),
    scratch: ScratchFolder,
) -> ScoreResult:
    """The body of :func:`score_frames`, with its scratch folder."""
    as_of = (as_of or datetime.now(timezone.utc)).astimezone(timezone.utc)
    compiled = compile_ruleset(ruleset, as_of)
    stats = RunStats(as_of=as_of)
    check_rollup(ruleset, rollup)

    schema = contacts.collect_schema()
    if "_source_file" not in schema:
        contacts = contacts.with_columns(pl.lit(contacts_label).alias("_source_file"),
                                         pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_source_row"))
        schema = contacts.collect_schema()
    required = used_contact_fields(ruleset)
    if contacts_files:
        stats.missing_columns, partly = check_file_columns(contacts_files, ruleset.columns, required)
        stats.partly_missing_columns.update(partly)
    elif any(not c.startswith("_source_") for c in schema):  # zero bytes: empty input, no columns
        stats.missing_columns = check_columns(schema, ruleset.columns, required, contacts_label)
    if events is not None and ruleset.event_rules and events_files:
        _, partly = check_file_columns(events_files, ruleset.activity_columns, event_fields_needed(compiled))
        stats.partly_missing_columns.update(partly)
    if accounts is None:
        stats.missing_columns += [f"{c.column} (an accounts column: no --accounts given)"
                                  for f, c in ruleset.account_columns.items() if f not in ruleset.columns]
    if accounts is not None and ruleset.account_columns and accounts_files:
        _, partly = check_file_columns(accounts_files, ruleset.account_columns, {"account_id"})
        stats.partly_missing_columns.update(partly)
    stats.report_rows = {f.label: asdict(f.report_rows) for f in (*contacts_files, *events_files, *accounts_files)
                         if f.report_rows is not None}
    stats.error_cells = error_cells_in(*((files, {c.column for c in columns.values()}) for files, columns in (
        (contacts_files, ruleset.columns), (events_files, ruleset.activity_columns),
        (accounts_files, ruleset.account_columns))))
    # --keep-columns values: one that is exactly a column's name is that column ('Revenue, USD'), any
    # other is split on its commas ('Region,Owner'); only here are the names known.
    keep_columns = [name for value in keep_columns for name in (
        [value] if value in schema else [part.strip() for part in value.split(",") if part.strip()])]
    if keep_columns and not any(not c.startswith("_source_") for c in schema):
        # Zero bytes or blank lines: no header to find them in. Empty, they are in the empty output an
        # empty input gives (exit 0), as the mapped columns are blank; refusing them stopped the job.
        contacts = contacts.with_columns(pl.lit(None, pl.String).alias(c) for c in dict.fromkeys(keep_columns))
        schema = contacts.collect_schema()
    check_not_repeated(list(schema), keep_columns, contacts_label)
    unknown_keep = [c for c in keep_columns if c not in schema]
    if unknown_keep:
        raise UnknownKeptColumnError(unknown_keep[0], contacts_label, list(schema))
    action_cols = action_columns(ruleset)
    clash = [c for c in keep_columns if c in OUTPUT_COLUMNS or c in action_cols]
    if clash:
        raise UsageError(f"--keep-columns: '{clash[0]}' has the name of an output column; rename it first")

    typed = map_columns(contacts, schema, ruleset.columns, ruleset.settings, keep=tuple(keep_columns),
                        flag_ranges=True)
    typed = typed.with_columns(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_order"))
    typed_schema = typed.collect_schema()
    bad_fields = [c[len("_bad__"):] for c in typed_schema if c.startswith("_bad__")]
    typed = typed.with_columns(_reject_reason(ruleset, bad_fields, required).alias("_reason"))
    engine = _engine_for([*contacts_files, *events_files, *accounts_files])
    if engine == "in-memory":
        # Typed once: de-duplication, rejects and counts all read it, and Polars would plan
        # and run the typing again in each branch (a plan 4x the size; 0.2 s of a 100-row job).
        typed = _collect([typed], engine, contacts_label)[0].lazy()
    elif any(f.parquet_path is None for f in contacts_files):
        # Large text contacts, for the same reason, are typed once into the scratch folder:
        # each plan would parse and check the text again (4 s of 21 at M with CSV contacts).
        stage("reading the contacts")
        try:
            typed = scratch.spill(typed, "contacts", "the contacts")
        except pl.exceptions.PolarsError as exc:
            raise input_error_from_polars(exc, contacts_label) from exc

    valid, dup_exprs = drop_duplicates(typed, ruleset,
                                       collect=lambda plan: _collect([plan], engine, contacts_label)[0])
    if lead_ids is not None:
        valid = valid.filter(pl.col("lead_id").is_in(list(lead_ids)))

    if "email" in ruleset.columns:
        valid = valid.with_columns(email_domain(pl.col("email")).alias("email_domain"))
    if accounts is not None and ruleset.account_columns:
        accounts_label = ", ".join(f.label for f in accounts_files) or "the accounts"
        try:  # typing the accounts reads their first rows (the date formats)
            valid, accounts_per_id = _with_accounts(valid, accounts, ruleset, accounts_label)
        except pl.exceptions.PolarsError as exc:
            raise input_error_from_polars(exc, accounts_label) from exc
    else:
        valid = _without_accounts(valid, ruleset)
    # Always derived when titles are mapped: the summary counts unmatched titles, account roles use them.
    # After the accounts, which may fill a blank title. Conditions on the title alone are tested once per
    # distinct title (a title only the accounts map has no lookup: its conditions are tested per lead).
    by_title = compiled.reading_only(TITLE_FIELDS) if maps_titles(ruleset) else []
    valid = with_ruleset_titles(valid, ruleset, by_title)

    joined_accounts = accounts is not None and bool(ruleset.account_columns)
    if ruleset.event_rules:  # an empty log (zero bytes) is a log given: a day without events
        stats.activity_log = events is not None
        if events is None:  # each rule counted no event: said so, as a log's idle rules are
            stats.events_by_rule = {r.id: 0 for r in ruleset.event_rules}
    counted = False
    ready: pl.LazyFrame | None = None  # the per-lead event counts, when computed in partitions already
    if ruleset.event_rules:
        try:  # typing the log reads its first rows (the date formats)
            agg, typed_events, counted, ready = aggregate_activity(ruleset, compiled, events, dup_exprs,
                                                                   events_label, scratch, events_files, lead_ids,
                                                                   large=engine != "in-memory")
        except pl.exceptions.PolarsError as exc:
            raise input_error_from_polars(exc, events_label) from exc
        if uses_workspaces(ruleset):
            valid = valid.join(lead_workspaces(typed_events, as_of), on="lead_id", how="left",
                               maintain_order="left")
        if lead_ids is not None:  # a filter on the group key: Polars pushes it below the group_by
            agg = agg.filter(pl.col("lead_id").is_in(list(lead_ids)))
        if counted and ready is None:
            # A full join keeps the aggregates of events whose lead is not scored, so that the
            # event accounting comes from this one pass; those rows leave right after.
            known = pl.col("_order").is_not_null()
            valid = (valid.join(agg, on="lead_id", how="full", coalesce=True)
                     .with_columns(event_count_columns(known, ruleset.event_rules)).filter(known))
        else:
            valid = valid.join(agg, on="lead_id", how="left")
            if ready is not None:
                valid = valid.with_columns(known_event_columns(ruleset.event_rules))
        # Points from the partial sums after the join, so that the join holds only the partials.
        valid = finish_aggregates(valid, ruleset)
    if uses_workspaces(ruleset) and "_workspace_id" not in valid.collect_schema():
        valid = valid.with_columns(pl.lit(None, dtype=pl.String).alias("_workspace_id"))
    scored = with_actions(compiled.add_columns(valid, ready=frozenset(e.meta.output_name() for e in by_title)),
                          ruleset, as_of, carry_accounts=rollup == "account")

    out_cols = list(OUTPUT_COLUMNS) + action_cols + [pl.col(f"keep::{c}").alias(c) for c in keep_columns]
    rule_stats = [f"_stat_n__{r.id}" for r in ruleset.event_rules]
    internal = ["_source_file", "bad_timing"] + (
        [] if not counted else list(EVENT_STATS) + rule_stats if ready is None else ["_stat_known_timed"] + rule_stats)
    rejects_lf = pl.concat(
        [typed.filter(pl.col("_reason").is_not_null()).select("_source_file", "_source_row", "_reason")]
        + [d.select("_source_file", "_source_row", "_reason") for d in dup_exprs],
        how="vertical_relaxed",
    )
    per_file = typed.group_by("_source_file", maintain_order=True).agg(pl.len().alias("rows"))
    ranged_fields = [c[len("_ranged__"):] for c in typed_schema if c.startswith("_ranged__")]
    blanked = typed.filter(pl.col("_reason").is_null()).select(
        [pl.col(f"_bad__{f}").sum().alias(f) for f in bad_fields if f not in required]
        + [pl.col(f"_ranged__{f}").sum().alias(f"_ranged__{f}") for f in ranged_fields]
        or [pl.lit(0).alias("_none")])
    if "job_title" in ruleset.columns:
        # A column of the scored plan, not a plan of its own: a second plan over `scored`
        # would compute the whole scoring again (collect_all does not share it). The title itself, not a flag:
        # one column gives the count and the most frequent unmatched titles.
        scored = scored.with_columns(unmatched_title_text().alias("_unmatched_title"))
        internal.append("_unmatched_title")
    if joined_accounts:
        internal += [ACCOUNT_MATCH, ACCOUNT_UNMATCHED_ID]  # counted after the one collect, as the titles are
    if ruleset.actions is not None and ruleset.actions.routing is not None and ruleset.actions.routing.account_routes:
        internal.append(KEY_COLUMN)  # for --previous: an account's new contacts follow its kept owner
    if "created_at" in ruleset.columns:
        # A column of the scored plan too, summed after the one collect.
        scored = scored.with_columns((pl.col("created_at") > pl.lit(as_of, dtype=pl.Datetime("us", "UTC")))
                                     .fill_null(False).alias("_created_after"))
        internal.append("_created_after")
    funnel_cols: list[pl.Expr] = []
    if funnel_detail and not detail:
        from leadq.funnel_input import DATE_FIELDS, SCORED_FUNNEL_FIELDS

        names = set(scored.collect_schema().names())
        wanted = [f for f in SCORED_FUNNEL_FIELDS if f in names] + [f"_bad__{f}" for f in DATE_FIELDS
                                                                    if f"_bad__{f}" in names]
        funnel_cols = [pl.col(c).alias(f"{FUNNEL_PREFIX}{c}") for c in wanted]
    if not detail:
        carried = carried_account_columns(scored) if rollup == "account" else []
        scored = scored.select(out_cols + internal + carried + funnel_cols + ["_order"])
    # Sorted last, on the output columns only: joins need not keep the input order, and a
    # sort before the select would hold every internal column of every lead at once.
    plans = [scored.sort("_order").drop("_order"), rejects_lf, per_file, blanked]
    if joined_accounts and accounts_per_id is not None:
        plans.append(accounts_per_id)
    # The query reads every input (the log and the accounts too): an error in it may come from any of them.
    inputs_label = ", ".join(f.label for f in (*contacts_files, *events_files, *accounts_files)) or contacts_label
    stage("scoring the leads")
    frames = _collect(plans, engine, inputs_label)
    scored_df, rejects_df, per_file_df, blanked_df = frames[:4]
    if counted:
        if ready is not None:
            known = scored_df.select("_stat_known_timed", *rule_stats).row(0, named=True) if scored_df.height else {}
            ev = event_accounting(ready, known, ruleset.event_rules)
        elif scored_df.height:
            ev = scored_df.select(*EVENT_STATS, *rule_stats).row(0, named=True)
        else:  # no lead scored: every readable event belongs to an unknown lead
            ev = agg.select(event_count_columns(pl.lit(False), ruleset.event_rules)).collect().row(0, named=True)
        stats.events_read, stats.events_unreadable, stats.events_scored, stats.events_unknown_lead, \
            stats.events_untimed = (int(ev[c]) for c in EVENT_STATS)
        stats.events_by_rule = {r.id: int(ev[f"_stat_n__{r.id}"]) for r in ruleset.event_rules}
        if scored_df.height and most_events_unknown(stats.events_read - stats.events_unreadable,
                                                    stats.events_unknown_lead):
            stats.events_unknown_examples = _unknown_examples(events, scored_df["lead_id"], ruleset)
        if stats.events_untimed:
            stats.events_untimed_examples = _untimed_examples(events, ruleset)

    rejects_full = _rejects_with_raw(contacts, rejects_df)
    stats.rejected_by_reason = reason_counts(rejects_df)
    stats.duplicates = sum(v for k, v in stats.rejected_by_reason.items() if k.startswith("duplicate"))
    counts = blanked_df.row(0, named=True)
    stats.blanked_values = {ruleset.columns[k].column: int(v) for k, v in counts.items()
                            if k != "_none" and not k.startswith("_ranged__") and v}
    stats.ranged_values = {ruleset.columns[f].column: int(counts[f"_ranged__{f}"]) for f in ranged_fields
                           if counts[f"_ranged__{f}"]}
    scored_counts = scored_df.group_by("_source_file").len()
    reject_counts = rejects_df.group_by("_source_file").len()
    for row in per_file_df.to_dicts():  # one row per input file, not per lead
        name = row["_source_file"]
        stats.files.append({
            "file": name, "rows": row["rows"],
            "scored": _lookup(scored_counts, name), "rejected": _lookup(reject_counts, name),
        })
    if "_unmatched_title" in scored_df.columns:
        stats.unmatched_titles = int(scored_df["_unmatched_title"].is_not_null().sum())
        stats.unmatched_titles_top = top_unmatched_titles(scored_df["_unmatched_title"])
    if joined_accounts:
        stats.accounts_file = account_accounting(frames[4] if len(frames) > 4 else None,
                                                 scored_df[ACCOUNT_MATCH], scored_df[ACCOUNT_UNMATCHED_ID])
    if "_created_after" in scored_df.columns:
        stats.created_after_as_of = int(scored_df["_created_after"].sum())
    output = scored_df.select([c for c in scored_df.columns if not c.startswith("_") and c not in ("bad_timing",)]) \
        if not detail else scored_df.select(out_cols)
    if funnel_cols:
        fields = [c for c in scored_df.columns if c.startswith(FUNNEL_PREFIX)]
        funnel_df = pl.concat([output, scored_df.select(fields).rename(lambda c: c[len(FUNNEL_PREFIX):])],
                              how="horizontal")
    return ScoreResult(scored=output, rejects=rejects_full, stats=stats, ruleset=ruleset,
                       detail=scored_df if detail else (funnel_df if funnel_cols else None),
                       accounts=accounts_from_leads(scored_df) if rollup == "account" else None,
                       account_keys=account_keys(scored_df, ruleset))


def _untimed_examples(events: pl.LazyFrame, ruleset: Ruleset) -> dict:
    """The summary's examples of the log's event times that cannot be read
    (:func:`leadq.activity.unreadable_time_examples`); empty when the log could not be read again."""
    try:
        return unreadable_time_examples(events, ruleset)
    except pl.exceptions.PolarsError:  # a diagnosis only: the run's figures stand without it
        return {}


def _unknown_examples(events: pl.LazyFrame, scored_ids: pl.Series, ruleset: Ruleset) -> dict:
    """The summary's examples of the log's lead ids that name no scored lead (:func:`unknown_lead_examples`),
    with the id column of each side; empty when the log's first events could not be read again.

    The ids are the log's as read, trimmed (a float column's whole numbers without ".0", as the
    aggregation reads them): the typed log may be joined to the dropped duplicates' leads, in no
    set order, and the examples would change from run to run.
    """
    column = ruleset.activity_columns["lead_id"].column
    try:
        ids = events.select(stripped_text(pl.col(column), events.collect_schema()[column]).alias("lead_id"))
        log, contacts = unknown_lead_examples(ids, scored_ids)
    except pl.exceptions.PolarsError:  # a diagnosis only: the run's figures stand without it
        return {}
    return {"log_column": column, "contacts_column": ruleset.columns["lead_id"].column, "log": log, "contacts": contacts}


SMALL_INPUT_BYTES = 8 * 1024 * 1024
REJECT_COLUMNS = ("source_file", "source_row", "reason")  # the rejects' own columns, before the raw values
FUNNEL_PREFIX = "_funnel::"  # the compact funnel's fields, carried under this prefix (funnel_detail)


def _engine_for(files: Sequence[InputFile]) -> str:
    """The Polars engine for the run's plan: in-memory for small inputs, else Polars' choice.

    Setting up the streaming engine for a plan of this size costs about 0.8 s, which
    a 100-row file notices: the sample data (4 MB of CSV) scored in 1.4 s in memory and
    2.3 s streaming (0.6 s in memory now that small contacts are typed once). From the
    benchmark's size S on (18 MB of Parquet, 100k leads) streaming is faster (2.1 s
    against 2.6 s) and holds less (0.65 GB against 0.98).
    Inputs not on disk (stdin, a database) are in memory already and count as small; a
    compressed file counts by its decompressed size.
    """
    total = sum(f.disk_bytes or 0 for f in files)
    return "in-memory" if total < SMALL_INPUT_BYTES else "auto"


def _collect(plans: list[pl.LazyFrame], engine: str, label: str) -> list[pl.DataFrame]:
    """Run ``plans`` together; a Polars error in the data is an input error naming ``label``."""
    try:
        return pl.collect_all(plans, engine=engine)
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc


def _lookup(counts: pl.DataFrame, name: str) -> int:
    hit = counts.filter(pl.col("_source_file") == name)
    return int(hit["len"][0]) if hit.height else 0


def reason_counts(rejects: pl.DataFrame) -> dict[str, int]:
    """Rejected rows by ``_reason``, most first; the duplicates' reasons (which name the row kept) under
    one each ("duplicate lead id", "duplicate e-mail"): ``RunStats.rejected_by_reason``."""
    if rejects.height == 0:
        return {}
    general = rejects.with_columns(
        pl.when(pl.col("_reason").str.starts_with("duplicate lead id")).then(pl.lit("duplicate lead id"))
        .when(pl.col("_reason").str.starts_with("duplicate e-mail")).then(pl.lit("duplicate e-mail"))
        .otherwise(pl.col("_reason")).alias("_reason"))
    counts = general.group_by("_reason").len().sort(["len", "_reason"], descending=[True, False])
    return dict(zip(counts["_reason"].to_list(), counts["len"].to_list()))


def _rejects_with_raw(contacts: pl.LazyFrame, rejects: pl.DataFrame) -> pl.DataFrame:
    """Rejected rows with their raw CRM values, in input order.

    A raw column named as one of the rejects' own (``reason``, ``source_file``, ``source_row``)
    is written as ``reason (input)``: under its own name it took the place of leadq's reason (which
    went to ``reason_right``), or stopped the run as a "duplicate column".
    """
    keys = rejects.rename({"_source_file": "source_file", "_source_row": "source_row", "_reason": "reason"})
    names = [c for c in contacts.collect_schema() if c not in ("_source_file", "_source_row")]
    taken = set(names) | set(REJECT_COLUMNS)
    raw_columns = {}
    for c in names:  # columns, not rows
        raw_columns[c] = free_name(f"{c} (input)", taken) if c in REJECT_COLUMNS else c
        taken.add(raw_columns[c])
    if keys.height == 0:
        return pl.DataFrame(schema={"source_file": pl.String, "source_row": pl.Int64, "reason": pl.String,
                                    **{name: pl.String for name in raw_columns.values()}})
    raw = contacts.select("_source_file", "_source_row",
                          *(pl.col(c).cast(pl.String).alias(name) for c, name in raw_columns.items()))
    raw = raw.join(keys.lazy(), left_on=["_source_file", "_source_row"], right_on=["source_file", "source_row"],
                   how="inner")
    return raw.select(pl.col("_source_file").alias("source_file"), pl.col("_source_row").cast(pl.Int64)
                      .alias("source_row"), "reason", *raw_columns.values()) \
        .sort(["source_file", "source_row"]).collect()


def read_and_score(
    ruleset: Ruleset,
    contact_specs: Sequence[str],
    activity_specs: Sequence[str] = (),
    account_specs: Sequence[str] = (),
    *,
    options: ReadOptions = ReadOptions(),
    as_of: datetime | None = None,
    keep_columns: Sequence[str] = (),
    stdin: BinaryIO | None = None,
    detail: bool = False,
    funnel_detail: bool = False,
    lead_ids: Sequence[str] | None = None,
    rollup: str | None = None,
) -> ScoreResult:
    """Read the input files (paths, globs or ``-``) and score them (``lead_ids``: only those; ``rollup``:
    ``"account"`` for the accounts too)."""
    if list(activity_specs).count("-") + list(contact_specs).count("-") + list(account_specs).count("-") > 1:
        raise UsageError("only one input can come from stdin ('-')")
    # The contacts' blank rows are looked for in the columns the run reads, so that the others are
    # not parsed (18 of 26 columns of the benchmark's export; most of a real one's), checked by a
    # count (run_counted).
    used = {c.column for c in ruleset.columns.values()} | set(keep_columns) \
        | {part.strip() for value in keep_columns for part in value.split(",")}  # taken whole or split (_score_frames)
    contact_files = read_input_files(contact_specs, options, stdin=stdin, used_columns=used,
                                     number_columns=number_columns(ruleset.columns.values()))
    event_files = read_activity_files(activity_specs, ruleset, options=options, stdin=stdin)
    account_files = read_account_files(account_specs, ruleset, options=options, stdin=stdin)
    if not ruleset.event_rules:
        event_files = []

    def score(contact_files: list[InputFile]) -> ScoreResult:
        try:
            return score_frames(ruleset, concat_inputs(contact_files),
                                concat_inputs(event_files) if event_files else None,
                                concat_inputs(account_files) if account_files else None,
                                as_of=as_of, keep_columns=keep_columns,
                                detail=detail, funnel_detail=funnel_detail, lead_ids=lead_ids,
                                contacts_label=", ".join(contact_specs),
                                events_label=", ".join(activity_specs), rollup=rollup,
                                contacts_files=contact_files, events_files=event_files, accounts_files=account_files)
        except pl.exceptions.PolarsError as exc:
            raise input_error_from_polars(exc, ", ".join(contact_specs)) from exc

    result = run_counted(contact_files, contact_specs, options, score, lambda r: r.stats.rows_by_file())
    _count_empty_files(result.stats, contact_specs)
    return result


def _count_empty_files(stats: RunStats, contact_specs: Sequence[str]) -> None:
    """List input files without data rows too (0 = 0 + 0), keeping input order."""
    names = [STDIN_LABEL if n == "-" else n for n in expand_inputs(contact_specs)]
    counted = {f["file"]: f for f in stats.files}
    stats.files = [counted.pop(n, {"file": n, "rows": 0, "scored": 0, "rejected": 0}) for n in names] \
        + list(counted.values())
