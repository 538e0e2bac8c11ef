"""Ruleset -> named Polars expressions, in stages.

The scored frame is built by applying, in order, the expression lists of a
:class:`CompiledRuleset` to a frame holding the typed contact fields and the
per-lead event aggregates (:mod:`leadq.activity`):

1. ``hits``      ``_hit__<rule>``: did the rule fire (bool)
2. ``points``    ``_pts__<rule>``: points after decay, ``min_count`` and cap
3. ``scores``    ``fit_score``, ``intent_score``
4. ``totals``    ``total_score``, ``grade``, ``_grade_rank``
5. ``gates``     ``_dq__<code>``: disqualifier flags
6. ``verdicts``  ``disqualification_reasons``, ``bad_fit``, ``bad_timing``, ``disqualified``
7. ``tiers``     ``tier``, ``explanation``

Every condition is compiled through :mod:`leadq.condition_compiler` against a
:class:`~leadq.condition_compiler.Scope` that lists exactly what that place of the
ruleset may name.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import polars as pl

from leadq.activity import DAY_US, age_days, as_of_literal, col_names, matched_column, normalised_text, period_key
from leadq.condition_compiler import FieldRef, Function, Scope, compile_tree
from leadq.conditions import Type, names_in
from leadq.errors import ConditionError
from leadq.fields import ACCOUNT_FIELDS, CONTACT_FIELDS, DERIVED_FIELDS, DERIVED_FROM, EVENT_FIELDS
from leadq.ruleset import SCORE_DECIMALS, Condition, Rule, Ruleset, ScoreGroup


@dataclass(frozen=True)
class CompiledRuleset:
    """The staged expressions that score a typed, activity-joined contacts frame."""

    ruleset: Ruleset
    as_of: datetime
    event_where: dict[str, pl.Expr | None]
    stages: tuple[tuple[str, tuple[pl.Expr, ...]], ...]
    used_fields: frozenset[str]

    def add_columns(self, frame: pl.LazyFrame, ready: frozenset[str] = frozenset()) -> pl.LazyFrame:
        """Add every scoring column to ``frame``, but those named in ``ready`` (the frame has them)."""
        for _, exprs in self.stages:
            frame = frame.with_columns([e for e in exprs if e.meta.output_name() not in ready])
        return frame

    def reading_only(self, fields: frozenset[str]) -> list[pl.Expr]:
        """The rule hits and disqualifier flags whose conditions read nothing but ``fields``.

        For the title lookup (:func:`leadq.titles.with_title_columns`): a condition on the job
        title alone is evaluated once per distinct title, not once per lead (at 1M leads,
        the benchmark's four title rules took 0.4-0.7 CPU-s per lead, for 111 titles).
        """
        return [e for stage, exprs in self.stages if stage in ("hits", "gates") for e in exprs
                if (roots := set(e.meta.root_names())) and roots <= fields]


# --------------------------------------------------------------------------- scopes


def contact_fields(ruleset: Ruleset) -> dict[str, FieldRef]:
    """Contact fields a condition may name: mapped columns, account fields, derived ones."""
    fields = {name: FieldRef(pl.col(name), col.type) for name, col in ruleset.columns.items()}
    for name, col in ruleset.account_columns.items():
        fields.setdefault(name, FieldRef(pl.col(name), col.type))
    if "email" in fields:
        fields["email_domain"] = FieldRef(pl.col("email_domain"), DERIVED_FIELDS["email_domain"])
    if "job_title" in fields:
        fields["seniority"] = FieldRef(pl.col("seniority"), Type.TEXT)
        fields["department"] = FieldRef(pl.col("department"), Type.TEXT)
    return fields


def _unseen_by_contacts(ruleset: Ruleset, fields: dict[str, FieldRef]) -> dict[str, str]:
    """leadq's names a contact condition cannot use in this ruleset, each with what to do."""
    out = {name: f"'{name}' is an activity field: only an event rule's where: sees it (event: page_view, "
                 f"where: {name} = \"...\")" + ("" if name in ruleset.activity_columns else
                                                 ", once it is mapped under activity_columns:")
           for name in EVENT_FIELDS}
    out.update({name: f"'{name}' is a leadq field that this ruleset does not map: map it under columns: "
                      "to the CRM column that holds it" for name in {**CONTACT_FIELDS, **ACCOUNT_FIELDS}})
    out.update({name: f"'{name}' is derived from {source}, which this ruleset does not map: map {source} "
                      "under columns:" for name, source in DERIVED_FROM.items()})
    out.update(_unmapped_by_extends(ruleset, "account_columns"))
    out.update(_unmapped_by_extends(ruleset, "columns"))
    return {name: why for name, why in out.items() if name not in fields}


def _unmapped_by_extends(ruleset: Ruleset, section: str) -> dict[str, str]:
    """The fields whose parent's mapping a ruleset removes (``field: null`` under ``extends``), each saying where."""
    return {name: f"'{name}' is not mapped: {Path(pos.path).name} removes the parent's mapping ({section}: "
                  f"{name}: null, at line {pos.line}); map it there to a column, or test something else"
            for name, pos in ruleset.unmapped.get(section, {}).items()}


def _unseen_by_events(ruleset: Ruleset, fields: dict[str, FieldRef]) -> dict[str, str]:
    """leadq's names an event rule's where: cannot use in this ruleset, each with what to do."""
    seen = ", ".join(sorted(fields)) or "none are mapped"
    contact = {*CONTACT_FIELDS, *ACCOUNT_FIELDS, *DERIVED_FIELDS, *DERIVED_FROM, *ruleset.columns,
               *ruleset.account_columns}
    out = {name: f"'{name}' is a contact field, and where: sees only the event's fields ({seen}); "
                 "test the contact in a contact rule's when:, or in a tier with fired(rule)" for name in contact}
    out.update({name: f"'{name}' is an activity field that this ruleset does not map: map it under "
                      "activity_columns: to the activity log's column that holds it" for name in EVENT_FIELDS})
    out.update(_unmapped_by_extends(ruleset, "activity_columns"))
    return {name: why for name, why in out.items() if name not in fields}


def _raw_columns(ruleset: Ruleset, fields: dict[str, FieldRef]) -> dict[str, FieldRef]:
    return {col.column: fields[name] for name, col in ruleset.columns.items() if name in fields}


def _days_since(as_of: datetime):
    def build(arg):
        kind, value = arg
        target = pl.col(col_names(value)["last"]) if kind == "rule" else value
        return (as_of_literal(as_of) - target).dt.total_microseconds() / DAY_US

    return build


def _rule_functions(ruleset: Ruleset, as_of: datetime, *, with_reasons: bool) -> dict[str, Function]:
    event_ids = {r.id for r in ruleset.event_rules}

    def count(arg):
        _, rule_id = arg
        if rule_id not in event_ids:
            raise ValueError(f"'{rule_id}' is not an event rule; count() counts matching events")
        return pl.col(col_names(rule_id)["n"]).fill_null(0)  # a lead without events has none: 0, not blank

    funcs = {
        "fired": Function(("rule",), Type.BOOL, lambda a: pl.col(f"_hit__{a[1]}"),
                          "fired(rule): true when the rule gave its points"),
        "points": Function(("rule",), Type.NUMBER, lambda a: pl.col(f"_pts__{a[1]}"),
                           "points(rule): the points the rule gave, after decay and cap"),
        "count": Function(("rule",), Type.NUMBER, count,
                          "count(event_rule): matching events inside the rule's window"),
        "days_since": Function(("field_or_rule",), Type.NUMBER, _days_since(as_of),
                               "days_since(event_rule or date field): days from it to the run's as-of time"),
    }
    if with_reasons:
        codes = {d.code for d in ruleset.disqualifiers}

        def has_reason(code):
            if not isinstance(code, str) or code not in codes:
                raise ValueError(f"unknown disqualifier code {code!r}; expected one of: {', '.join(sorted(codes))}")
            return pl.col(f"_dq__{code}")

        funcs["has_reason"] = Function((Type.TEXT,), Type.BOOL, has_reason,
                                       "has_reason(\"code\"): the lead has this disqualification reason")
    return funcs


def contact_scope(ruleset: Ruleset, as_of: datetime, where: str) -> Scope:
    """Scope of fit, intent and negative contact rules."""
    fields = contact_fields(ruleset)
    days_since = Function(("field_or_rule",), Type.NUMBER, _days_since(as_of),
                          "days_since(date field): days from it to the run's as-of time")
    return Scope(fields=fields, where=where, raw_columns=_raw_columns(ruleset, fields), lists=ruleset.lists,
                 functions={"days_since": days_since}, grades=ruleset.grade_letters,
                 stripped=_stripped_fields(ruleset),
                 unseen={**_unseen_by_scoring_rules(ruleset, fields), **_unseen_by_contacts(ruleset, fields)})


def _unseen_by_scoring_rules(ruleset: Ruleset, fields: dict[str, FieldRef]) -> dict[str, str]:
    """Rules, scores and verdicts, which a fit, intent or negative rule cannot read (they are what it adds
    up to): each with where to test it instead. Disqualifiers and tiers see them (:func:`score_scope`)."""
    out = {r.id: f"'{r.id}' is a rule, and a scoring rule cannot read other rules (days_since() takes a date "
                 f"field here); test fired({r.id}), points({r.id}), count({r.id}) or days_since({r.id}) in a "
                 "disqualifier or a tier" for r in ruleset.rules}
    out.update({name: f"'{name}' is a score, which scoring rules add up and cannot read; test it in a "
                      "disqualifier or a tier" for name in ("fit", "intent", "total", "grade")})
    out.update({name: f"'{name}' is a verdict of the disqualifiers; only a tier can test it"
                 for name in ("disqualified", "bad_fit", "bad_timing")})
    out["tier"] = ("'tier' is decided from the scores that scoring rules add up, so a scoring rule cannot read "
                   "it; routing, sla and nurture read the tier")
    return {name: why for name, why in out.items() if name not in fields}


# `tier` is what the tiers decide: only what comes after them (routing, SLAs, nurture) reads it.
_TIER_UNSEEN = ("'tier' is decided last, from the scores and the disqualifiers' verdicts, so {where} cannot read "
                "it; test what puts a lead in that tier instead (fit, intent, total, grade, fired(rule), "
                "disqualified ...); routing, sla and nurture read the tier")


def _stripped_fields(ruleset: Ruleset) -> frozenset[str]:
    """The contact fields whose text is stripped already: the mapped text columns, typed by
    :func:`leadq.cleaning.map_columns` (contacts and accounts), and the e-mail domain (no blank in it)."""
    mapped = {**ruleset.account_columns, **ruleset.columns}
    return frozenset({name for name, col in mapped.items() if col.type is Type.TEXT} | {"email_domain"})


def event_scope(ruleset: Ruleset, where: str) -> Scope:
    """Scope of an event rule's ``where``: the activity log's fields."""
    # Text fields name their normalised column, computed once per event for every rule that reads it.
    fields = {name: FieldRef(pl.col(normalised_text(name) if col.type is Type.TEXT else name), col.type)
              for name, col in ruleset.activity_columns.items()}
    raw = {col.column: fields[name] for name, col in ruleset.activity_columns.items()}
    normalised = frozenset(normalised_text(n) for n, c in ruleset.activity_columns.items() if c.type is Type.TEXT)
    return Scope(fields=fields, where=where, raw_columns=raw, lists=ruleset.lists, grades=ruleset.grade_letters,
                 normalised=normalised, unseen=_unseen_by_events(ruleset, fields))


def score_scope(ruleset: Ruleset, as_of: datetime, where: str, *, with_verdicts: bool) -> Scope:
    """Scope of disqualifiers (scores) and tiers (scores and verdicts)."""
    scope = contact_scope(ruleset, as_of, where)
    scope.fields.update({
        "fit": FieldRef(pl.col("fit_score"), Type.NUMBER),
        "intent": FieldRef(pl.col("intent_score"), Type.NUMBER),
        "total": FieldRef(pl.col("total_score"), Type.NUMBER),
        "grade": FieldRef(pl.col("_grade_rank"), Type.GRADE),
    })
    if with_verdicts:
        scope.fields.update({
            "disqualified": FieldRef(pl.col("disqualified"), Type.BOOL),
            "bad_fit": FieldRef(pl.col("bad_fit"), Type.BOOL),
            "bad_timing": FieldRef(pl.col("bad_timing"), Type.BOOL),
        })
    scope.functions = _rule_functions(ruleset, as_of, with_reasons=with_verdicts)
    scope.rules = {r.id: r for r in ruleset.rules}
    scope.unseen = {name: why for name, why in scope.unseen.items()
                    if name not in scope.fields and name not in scope.rules}
    if "tier" not in scope.fields:
        scope.unseen["tier"] = _TIER_UNSEEN.format(where=where)
    return scope


def compile_condition_at(cond: Condition, scope: Scope) -> pl.Expr:
    """Compile a ruleset condition, turning errors into positioned RulesetErrors."""
    try:
        return compile_tree(cond.text, cond.tree, scope)
    except ConditionError as exc:
        raise cond.located_error(scope.where, exc.message, exc.offset) from None


# --------------------------------------------------------------------------- formatting


def fmt_number(expr: pl.Expr, signed: bool = False) -> pl.Expr:
    """Render a number with at most one decimal ("15", "8.4"), optionally with a sign.

    ``round(1)`` then the shortest float text, less a trailing ".0"; a value that
    rounds to zero reads "0", never "-0" (not ``+ 0.0``: Polars simplifies that away).
    Explanations format numbers for every lead and rule, so this is kept to a
    few cheap kernels (no regex).
    """
    rounded = expr.round(1)
    text = (pl.when(rounded == 0).then(pl.lit(0.0)).otherwise(rounded)
            .cast(pl.String).str.strip_suffix(".0"))
    if signed:
        return pl.concat_str([_plus_sign(expr), text])
    return text


def _plus_sign(expr: pl.Expr) -> pl.Expr:
    """"+" where ``expr`` is at least zero, else "" (a literal per row, cheaper than a second concatenation)."""
    return pl.when(expr >= 0).then(pl.lit("+")).otherwise(pl.lit(""))


def fmt_constant(value: float, signed: bool = False) -> str:
    """:func:`fmt_number` for a number known when compiling (Python rounds ``x * 10`` half to even too)."""
    tenths = round(value * 10)
    mag = abs(tenths)
    text = ("-" if tenths < 0 else "") + str(mag // 10) + (f".{mag % 10}" if mag % 10 else "")
    return ("+" + text) if signed and value >= 0 else text


def _days_ago(days: pl.Expr) -> pl.Expr:
    """"today", "1 day ago" or "N days ago" for the calendar ``days`` since the last event (:func:`calendar_days`)."""
    return (pl.when(days > 1).then(days.cast(pl.String) + pl.lit(" days ago"))
            .when(days == 1).then(pl.lit("1 day ago"))
            .otherwise(pl.lit("today")))


_EPOCH_DAY = date(1970, 1, 1)


def local_day(moment: datetime, tz: str) -> int:
    """The calendar day of an aware ``moment`` in ``tz``, as days since 1970-01-01 (:func:`leadq.activity.period_key`)."""
    return (moment.astimezone(ZoneInfo(tz)).date() - _EPOCH_DAY).days


def calendar_days(last: pl.Expr, as_of: datetime, tz: str) -> pl.Expr:
    """Calendar days of ``tz`` from the day of ``last`` (UTC times) to the day of ``as_of``: 0 the same day.

    What "today" and "N days ago" count: an event at 15:00 on the day before a midnight as-of
    is "1 day ago", not "today" (whole 24-hour periods: 9 hours). The days of ``settings.timezone``,
    those a ``per: day`` rule scores once each. A whole number per lead: the local date
    (:func:`leadq.activity.period_key`) less a constant.
    """
    return pl.lit(local_day(as_of, tz), dtype=pl.Int32) - period_key(last, "day", tz)


def calendar_days_between(last: datetime, as_of: datetime, tz: str) -> int:
    """:func:`calendar_days` for one aware ``last`` (for ``leadq explain``, which formats in Python)."""
    return local_day(as_of, tz) - local_day(last, tz)


def _fragment(rule: Rule, as_of: datetime, tz: str = "UTC") -> pl.Expr:
    """One rule's part of the explanation as a column; null when the rule gave nothing.

    A contact rule's points are a constant, so its text is a literal picked by
    the hit flag. An event rule's text is formatted from its aggregates (points,
    events, decay, cap) in one flat concatenation, each optional piece carrying
    its own separator: "Demo request +25 (3 events, decayed from 30, last 2 days
    ago, capped at 25)" (joining the details with a second, separated
    concatenation gave the same text about 20% slower), and only for the leads
    it shows for (:func:`_formatted_where`). ``tz``: the ruleset's ``settings.timezone``,
    whose calendar days "2 days ago" counts.
    """
    if not rule.is_event_rule:
        return pl.when(pl.col(f"_hit__{rule.id}")).then(pl.lit(f"{rule.label} {fmt_constant(rule.points, True)}"))
    names = col_names(rule.id)
    shown = pl.col(f"_hit__{rule.id}") & (pl.col(f"_pts__{rule.id}") != 0)
    # The fewest, narrowest fields, computed for every lead (cheap numbers): the streaming
    # engine holds them for the whole frame before formatting. "n" the matching events; a
    # per: day / per: week rule's _n__ counts its days (weeks), which are "periods" here.
    fields = {"pts": pl.col(f"_pts__{rule.id}"), "n": pl.col(matched_column(rule)),
              "days": calendar_days(pl.col(names["last"]), as_of, tz)}
    if rule.once_per is not None:
        fields["periods"] = pl.col(names["n"])
    if rule.cap is not None:
        fields["capped"] = pl.col(names["dec"]).abs() > rule.cap
    return _formatted_where(shown, fields, lambda **f: _event_text(rule, **f))


def _period_text(rule: Rule, periods: pl.Expr) -> pl.Expr:
    """" on 3 days" / " in 2 weeks" (" on 1 day", " in 1 week"): a per: day / per: week rule's
    scoring periods, as ``leadq explain`` words them (:func:`leadq.explain.period_text`)."""
    one, many, word = (" day", " days", " on ") if rule.once_per == "day" else (" week", " weeks", " in ")
    return pl.lit(word) + periods.cast(pl.String) + pl.when(periods == 1).then(pl.lit(one)).otherwise(pl.lit(many))


def _event_text(rule: Rule, pts: pl.Expr, n: pl.Expr, days: pl.Expr, capped: pl.Expr | None = None,
                periods: pl.Expr | None = None) -> pl.Expr:
    """An event rule's fragment from its points, matching events, calendar days since the last one, whether
    its cap cut and (``per: day`` / ``per: week``) its scoring days (weeks): "4 events on 2 days, ..."."""
    many = n > 1
    count = n.cast(pl.String) + (pl.lit(" events") if periods is None else pl.lit(" events") + _period_text(rule, periods))
    pieces = [pl.lit(f"{rule.label} "), _plus_sign(pts), fmt_number(pts), pl.lit(" ("),
              pl.when(many).then(count + pl.lit(", "))]
    if rule.half_life_days is not None:
        # Points before decay: per event (per day, per week), the scoring events' points
        # (leadq.activity.finish_aggregates' _raw__: points times _n__, the days for per: day).
        scoring = n if periods is None else periods
        basis = scoring.cast(pl.Float64) * rule.points if rule.per == "event" else pl.lit(rule.points)
        pieces.append(pl.when((basis - pts).abs() > 0.05)
                      .then(pl.lit("decayed from ") + fmt_number(basis) + pl.lit(", ")))
    pieces += [pl.when(many).then(pl.lit("last ")), _days_ago(days)]
    if capped is not None:
        pieces.append(pl.when(capped).then(pl.lit(f", capped at {rule.cap:g}")))
    pieces.append(pl.lit(")"))
    return pl.concat_str(pieces, ignore_nulls=True)


def _formatted_where(shown: pl.Expr, fields: dict[str, pl.Expr], text: Callable[..., pl.Expr]) -> pl.Expr:
    """``text(**fields)`` on the rows where ``shown`` is true, null on the others: formatted on those rows only.

    ``pl.when(shown).then(text)`` would format every lead (Polars evaluates both
    sides), though an event rule shows for 4-31% of the leads of the benchmark
    (at M: the event rules' fragments took 2.1 s that way, 0.9 s this way). Here
    the fields are taken on the shown rows, the text is built from them
    (``struct.with_fields``, each field named by ``pl.field``), and each text goes
    back to its row with ``gather``: a shown row's position among the shown rows
    is ``cum_sum(shown) - 1``; the other rows gather a null index, so null.

    The fields are filtered as one struct, once: Polars' common-subexpression
    elimination moves a repeated ``pl.col(x).filter(shown)`` into a column of the
    frame, which has fewer rows than the frame (Polars 2.1 panics in memory).
    """
    rows = pl.struct(**fields).filter(shown)
    texts = rows.struct.with_fields(text(**{name: pl.field(name) for name in fields}).alias("_text")).struct.field("_text")
    return texts.gather(pl.when(shown).then(shown.cast(pl.UInt32).cum_sum() - 1))


def added(parts: list[pl.Expr]) -> pl.Expr:
    """``parts[0] + parts[1] + ...``, added left to right (0.0 for none).

    Not ``pl.sum_horizontal``: Polars adds its inputs in a parallel reduction whose order
    depends on the threads, so the same lead's score differed in its last bits from run
    to run. A left fold is the order the SQL engines add in too.
    """
    return functools.reduce(operator.add, parts) if parts else pl.lit(0.0)


def snapped(score: pl.Expr) -> pl.Expr:
    """A score snapped to :data:`SCORE_DECIMALS` decimals: the nearest float to the decimal sum.

    Points with decimals add up in binary with an error in the last bits: +0.2, +16.4 and +3.4
    make 19.999999999999996, which missed a tier's ``total >= 20`` while every report showed 20.
    Snapped, the sum is the float that the text 20 (or 19.9) reads as, so thresholds hold as the
    analyst wrote them; decayed points move by less than 5e-10. (Not ``(score * 1e9).round() / 1e9``:
    Polars divides by a constant as it multiplies by its inverse, and 15 came out 15.000000000000002.
    The SQL engines divide, as :func:`leadq.sqlgen.query._snapped` does: PostgreSQL has no
    ``round(double, n)``.)
    """
    return score.round(SCORE_DECIMALS)


def group_points(group: ScoreGroup) -> pl.Expr:
    """A score group's points before its cap: the sum of its rules' points."""
    return added([pl.col(f"_pts__{rid}") for rid in group.rules])


def _group_fragment(group: ScoreGroup) -> pl.Expr:
    """"Web activity: capped at +40 (rules gave +57.2)" where the group's cap cut its points; else null."""
    raw = group_points(group)

    def text(raw: pl.Expr) -> pl.Expr:
        cap = pl.when(raw >= 0).then(pl.lit(fmt_constant(group.cap, True))).otherwise(
            pl.lit(fmt_constant(-group.cap, True)))
        return pl.concat_str([pl.lit(f"{group.label}: capped at "), cap, pl.lit(" (rules gave "),
                              fmt_number(raw, True), pl.lit(")")])

    return _formatted_where(raw.abs() > group.cap, {"raw": raw}, text)


def explanation_expr(ruleset: Ruleset, as_of: datetime) -> pl.Expr:
    """The explanation column: every rule's fragment that applies, joined with "; " ("" when none).

    Contact-rule fragments are literals picked by the hit flag; ``concat_str``
    with ``ignore_nulls`` skips the rules that gave nothing (a ``concat_list`` +
    ``drop_nulls`` + ``list.join`` gave the same text at several times the cost).
    Event-rule and group fragments are formatted only for the leads they show
    for (:func:`_formatted_where`).
    """
    fragments = [_fragment(r, as_of, ruleset.settings.timezone) for r in ruleset.rules] + [_group_fragment(g) for g in ruleset.groups]
    if not fragments:
        return pl.lit("")
    return pl.concat_str(fragments, separator="; ", ignore_nulls=True)


# --------------------------------------------------------------------------- compilation


def _rule_hit_and_points(rule: Rule, scope: Scope, as_of: datetime) -> tuple[pl.Expr, pl.Expr]:
    if not rule.is_event_rule:
        hit = compile_condition_at(rule.when, scope)  # type: ignore[arg-type]
        # The points read the hit column (the hits stage comes first), which may have been computed elsewhere.
        return hit, pl.when(pl.col(f"_hit__{rule.id}")).then(pl.lit(rule.points)).otherwise(0.0)
    names = col_names(rule.id)
    n = pl.col(names["n"]).fill_null(0)
    hit = n >= rule.min_count
    if rule.per == "lead":
        last_age = age_days(pl.col(names["last"]), as_of)
        halvings = None if rule.half_life_days is None else last_age / rule.half_life_days
        if halvings is not None and rule.decay == "step":
            halvings = halvings.floor()
        decay = pl.lit(1.0) if halvings is None else pl.lit(0.5) ** halvings
        value = pl.lit(rule.points) * decay
    else:
        value = pl.col(names["dec"]).fill_null(0.0)
    if rule.cap is not None:
        value = value.clip(-rule.cap, rule.cap)
    return hit, pl.when(hit).then(value).otherwise(0.0)


def compile_ruleset(ruleset: Ruleset, as_of: datetime, *, explain: bool = True) -> CompiledRuleset:
    """Compile every rule, gate, grade and tier of a ruleset into staged expressions.

    ``explain=False`` leaves the explanation column out (it cannot fail to
    compile; checking a ruleset does not need it).

    Raises:
        RulesetError: when a condition names something unknown or mixes types.
    """
    used: set[str] = set()

    def note(cond: Condition | None) -> None:
        if cond is not None:
            fields, raw, _ = names_in(cond.tree)
            used.update(fields)
            used.update(name for name, col in ruleset.columns.items() if col.column in raw)

    event_where: dict[str, pl.Expr | None] = {}
    hits: list[pl.Expr] = []
    points: list[pl.Expr] = []
    # One scope for every rule, each with its own place for error messages: the rules only read it
    # (building its fields for each rule was 5 ms of a small job's start-up).
    rule_scope = contact_scope(ruleset, as_of, "")
    for rule in ruleset.rules:
        where = f"{rule.section} rule '{rule.id}'"
        scope = dataclasses.replace(rule_scope, where=where)
        if rule.is_event_rule:
            event_where[rule.id] = (compile_condition_at(rule.where, event_scope(ruleset, where))
                                    if rule.where is not None else None)
        note(rule.when)
        hit, pts = _rule_hit_and_points(rule, scope, as_of)
        hits.append(hit.alias(f"_hit__{rule.id}"))
        points.append(pts.alias(f"_pts__{rule.id}"))

    def total(score: str) -> pl.Expr:
        rules, groups = ruleset.score_parts(score)
        parts = [pl.col(f"_pts__{r.id}") for r in rules] + [group_points(g).clip(-g.cap, g.cap) for g in groups]
        return added(parts)

    scores = [snapped(total("fit")).alias("fit_score"), snapped(total("intent")).alias("intent_score")]

    grade_expr: pl.Expr | None = None
    rank_expr: pl.Expr | None = None
    for i, g in reversed(list(enumerate(ruleset.grades))):
        if g.min_fit is None:
            grade_expr, rank_expr = pl.lit(g.letter), pl.lit(-float(i))
        else:
            cond = pl.col("fit_score") >= g.min_fit
            grade_expr = pl.when(cond).then(pl.lit(g.letter)).otherwise(grade_expr)
            rank_expr = pl.when(cond).then(pl.lit(-float(i))).otherwise(rank_expr)
    totals = [
        snapped(pl.col("fit_score") + pl.col("intent_score")).alias("total_score"),
        grade_expr.alias("grade"),  # type: ignore[union-attr]
        rank_expr.alias("_grade_rank"),  # type: ignore[union-attr]
    ]

    gates = []
    for d in ruleset.disqualifiers:
        note(d.when)
        scope = score_scope(ruleset, as_of, f"disqualifier '{d.code}'", with_verdicts=False)
        gates.append(compile_condition_at(d.when, scope).alias(f"_dq__{d.code}"))

    def any_of(category: str | None) -> pl.Expr:
        flags = [pl.col(f"_dq__{d.code}") for d in ruleset.disqualifiers if category in (None, d.category)]
        return pl.any_horizontal(flags) if flags else pl.lit(False)

    if ruleset.disqualifiers:
        # Joined text split into a list: ~10x cheaper than concat_list + drop_nulls on every lead.
        joined = pl.concat_str([pl.when(pl.col(f"_dq__{d.code}")).then(pl.lit(d.code)) for d in ruleset.disqualifiers],
                               separator="\x1f", ignore_nulls=True)
        reasons = (pl.when(any_of(None)).then(joined.str.split("\x1f"))
                   .otherwise(pl.lit([], dtype=pl.List(pl.String))))
    else:
        reasons = pl.lit([], dtype=pl.List(pl.String))
    verdicts = [
        reasons.alias("disqualification_reasons"),
        any_of("bad_fit").alias("bad_fit"),
        any_of("bad_timing").alias("bad_timing"),
        any_of("bad_fit").alias("disqualified"),
    ]

    tier_expr: pl.Expr | None = None
    for tier in reversed(ruleset.tiers):
        if tier.when is None:
            tier_expr = pl.lit(tier.name)
            continue
        note(tier.when)
        scope = score_scope(ruleset, as_of, f"tier '{tier.name}'", with_verdicts=True)
        cond = compile_condition_at(tier.when, scope)
        tier_expr = pl.when(cond).then(pl.lit(tier.name)).otherwise(tier_expr)
    final = [tier_expr.alias("tier")]  # type: ignore[union-attr]
    if explain:
        final.append(explanation_expr(ruleset, as_of).alias("explanation"))

    return CompiledRuleset(
        ruleset=ruleset,
        as_of=as_of,
        event_where=event_where,
        stages=(("hits", tuple(hits)), ("points", tuple(points)), ("scores", tuple(scores)),
                ("totals", tuple(totals)), ("gates", tuple(gates)), ("verdicts", tuple(verdicts)),
                ("tiers", tuple(final))),
        used_fields=frozenset(used),
    )


def check_ruleset(ruleset: Ruleset) -> None:
    """Compile every condition once so that load-time errors surface with positions."""
    compile_ruleset(ruleset, datetime.now(timezone.utc), explain=False)
