"""Text the scoring query builds: concatenation, joined lists, numbers printed as Polars prints them,
and each rule's and score group's part of the explanation.

Explanations must read the same on every engine ("demo request +28.6 (decayed from 30, 2 days
ago)"), so numbers are rounded and printed here with plain arithmetic and string
concatenation that every dialect has, instead of ROUND/FORMAT whose rules differ.
"""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from leadq.activity import matched_column
from leadq.compiler import fmt_constant, local_day
from leadq.ruleset import Rule, ScoreGroup
from leadq.sqlgen.conditions import col, dbl, num
from leadq.sqlgen.dialects import SqlDialect, cast


def concat(parts: list[exp.Expression]) -> exp.Expression:
    """``a || b || ...`` (every part must be non-null: some engines null the whole text otherwise)."""
    out = parts[0]
    for p in parts[1:]:
        out = exp.DPipe(this=out, expression=p, safe=True)
    return out


def case_when(cond: exp.Expression, then: exp.Expression, otherwise: exp.Expression | None = None) -> exp.Case:
    """``CASE WHEN cond THEN then [ELSE otherwise] END``."""
    case = exp.Case(ifs=[exp.If(this=cond, true=then)])
    if otherwise is not None:
        case.set("default", otherwise)
    return case


def lit(text: str) -> exp.Literal:
    """A text constant."""
    return exp.Literal.string(text)


def joined(pieces: list[tuple[exp.Expression, exp.Expression]], sep: str) -> exp.Expression:
    """``sep``-joined text of the pieces whose condition holds ('' when none does)."""
    if not pieces:
        return lit("")
    parts = [case_when(cond, exp.DPipe(this=lit(sep), expression=text, safe=True), lit("")) for cond, text in pieces]
    return exp.Substring(this=exp.Paren(this=concat(parts)), start=exp.Literal.number(len(sep) + 1))


def half_even(y: exp.Expression) -> exp.Expression:
    """``y`` (a DOUBLE expression) rounded to a whole number half to even, as a DOUBLE: Polars' ``round()``.

    Written with FLOOR and comparisons that every engine has, because ROUND's tie rule
    differs between engines (half away from zero in DuckDB and Spark, half even in Polars).
    """
    f = cast(exp.Floor(this=y.copy()), "DOUBLE")
    frac = exp.Sub(this=y.copy(), expression=f.copy())
    even = exp.EQ(this=exp.Sub(this=f.copy(), expression=exp.Mul(
        this=dbl(2), expression=exp.Floor(this=exp.Div(this=f.copy(), expression=dbl(2))))), expression=dbl(0))
    up = exp.Add(this=f.copy(), expression=dbl(1))
    return exp.Case(ifs=[exp.If(this=exp.GT(this=frac.copy(), expression=dbl(0.5)), true=up.copy()),
                         exp.If(this=exp.LT(this=frac.copy(), expression=dbl(0.5)), true=f.copy()),
                         exp.If(this=even, true=f.copy())], default=up)


def tenths(value: exp.Expression) -> exp.Expression:
    """``value * 10`` rounded half to even, as BIGINT: what Polars' ``round(1)`` keeps of a number."""
    return cast(half_even(exp.Paren(this=exp.Mul(this=cast(value, "DOUBLE"), expression=dbl(10)))), "BIGINT")


def fmt_tenths(tenth: exp.Expression, dialect: SqlDialect, sign_of: exp.Expression | None = None) -> exp.Expression:
    """Text of a number given in rounded tenths, like :func:`leadq.compiler.fmt_number`.

    Polars prints the shortest decimal and then drops ``.0``, so 286 tenths read "28.6",
    150 read "15" and -0.4 rounded to zero reads "0". With ``sign_of``, "+" is put in
    front when that (unrounded) value is >= 0.
    """
    magnitude = exp.Abs(this=tenth.copy())
    whole = cast(exp.Floor(this=exp.Div(this=cast(magnitude.copy(), "DOUBLE"), expression=dbl(10))),
                     "BIGINT")
    digit = exp.Paren(this=exp.Sub(this=magnitude.copy(), expression=exp.Mul(
        this=exp.Literal.number(10), expression=whole.copy())))
    text = concat([
        case_when(exp.LT(this=tenth.copy(), expression=exp.Literal.number(0)), lit("-"), lit("")),
        dialect.text(whole),
        case_when(exp.NEQ(this=digit.copy(), expression=exp.Literal.number(0)),
              exp.DPipe(this=lit("."), expression=dialect.text(digit), safe=True), lit("")),
    ])
    if sign_of is not None:
        text = exp.DPipe(this=case_when(exp.GTE(this=sign_of, expression=num(0)), lit("+"), lit("")), expression=text,
                         safe=True)
    return exp.Paren(this=text)


def days_ago(last: exp.Expression, dialect: SqlDialect, as_of: datetime, tz: str = "UTC") -> exp.Expression:
    """"today", "1 day ago" or "N days ago": calendar days from the day of ``last`` to the day of ``as_of``,
    as :func:`leadq.compiler.calendar_days` counts them (the SQL engines read times as UTC, so ``tz`` is
    UTC: a day is ``FLOOR(epoch_us / 86400e6)``, as :meth:`leadq.sqlgen.events.EventsStage.period_key`)."""
    day = exp.Floor(this=exp.Div(this=cast(dialect.epoch_us(last), "DOUBLE"), expression=dbl(86_400_000_000)))
    days = cast(exp.Paren(this=exp.Sub(this=exp.Literal.number(local_day(as_of, tz)), expression=day)), "BIGINT")
    return exp.Case(ifs=[exp.If(this=exp.LTE(this=days.copy(), expression=exp.Literal.number(0)), true=lit("today")),
                         exp.If(this=exp.EQ(this=days.copy(), expression=exp.Literal.number(1)),
                                true=lit("1 day ago"))],
                    default=exp.DPipe(this=dialect.text(days.copy()), expression=lit(" days ago"), safe=True))


def rule_fragment(rule: Rule, dialect: SqlDialect, as_of: datetime,
                  tz: str = "UTC") -> tuple[exp.Expression, exp.Expression]:
    """A rule's part of the explanation and when it is shown, as :mod:`leadq.compiler` words it.

    "demo request +28.6 (2 events, decayed from 30, last 2 days ago)", a ``per: day`` rule's "visits
    +20 (4 events on 2 days, last 1 day ago)"; a contact rule's part is its label and points. Reads
    the scoring stages' columns (``_pts__``, ``_t__``, ``_hit__``, ``_n__``, ``_matched__`` ...).

    Returns:
        (condition, text): the text is shown where the condition holds.
    """
    pts = col(f"_pts__{rule.id}")
    head = concat([lit(f"{rule.label} "), fmt_tenths(col(f"_t__{rule.id}"), dialect, sign_of=pts.copy())])
    hit = col(f"_hit__{rule.id}")
    if not rule.is_event_rule:
        return hit, head
    periods, raw, dec, last = (col(f"_{k}__{rule.id}") for k in ("n", "raw", "dec", "last"))
    n = col(matched_column(rule))  # the matching events (_n__ counts a per: day rule's days)
    many = exp.GT(this=n.copy(), expression=exp.Literal.number(1))
    basis = raw if rule.per == "event" else dbl(rule.points)
    count = [dialect.text(n.copy()), lit(" events")]
    if rule.once_per is not None:  # " on 3 days" / " in 2 weeks", as leadq.compiler._period_text
        one, several, word = (" day", " days", " on ") if rule.once_per == "day" else (" week", " weeks", " in ")
        count += [lit(word), dialect.text(periods.copy()),
                  case_when(exp.EQ(this=periods.copy(), expression=exp.Literal.number(1)), lit(one), lit(several))]
    parts: list[exp.Expression] = [case_when(many.copy(), concat([*count, lit(", ")]), lit(""))]
    if rule.half_life_days is not None:
        decayed = exp.GT(this=exp.Abs(this=exp.Sub(this=basis.copy(), expression=pts.copy())),
                         expression=num(0.05))
        parts.append(case_when(decayed, concat([lit("decayed from "), fmt_tenths(col(f"_tb__{rule.id}"), dialect),
                                                lit(", ")]), lit("")))
    parts.append(case_when(many.copy(), lit("last "), lit("")))
    parts.append(days_ago(last, dialect, as_of, tz))
    if rule.cap is not None:
        parts.append(case_when(exp.GT(this=exp.Abs(this=dec.copy()), expression=num(rule.cap)),
                               lit(f", capped at {rule.cap:g}"), lit("")))
    cond = exp.and_(hit, exp.NEQ(this=pts.copy(), expression=num(0)))
    return cond, concat([head, lit(" ("), *parts, lit(")")])


def group_fragment(group: ScoreGroup, dialect: SqlDialect) -> tuple[exp.Expression, exp.Expression]:
    """"Research: capped at +12 (rules gave +15)" where the group's cap cut its points."""
    raw = col(f"_grp__{group.id}")
    cap = case_when(exp.GTE(this=raw.copy(), expression=num(0)), lit(fmt_constant(group.cap, True)),
                    lit(fmt_constant(-group.cap, True)))
    text = concat([lit(f"{group.label}: capped at "), cap, lit(" (rules gave "),
                   fmt_tenths(col(f"_tg__{group.id}"), dialect, sign_of=raw.copy()), lit(")")])
    return exp.GT(this=exp.Abs(this=raw.copy()), expression=num(group.cap)), text
