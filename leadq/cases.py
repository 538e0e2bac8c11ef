"""Ruleset test cases: example leads with the outcome the team agreed on, checked by ``leadq test``.

Marketing and sales agree on examples as much as on rules ("a VP at a 500-person
software company who asked for a demo yesterday is a hand-raiser"). A cases file
writes them down next to the ruleset, and ``leadq test`` scores them all in one
batch (more when cases share an e-mail address or an account, which would tie one
case's lead to another's) and says which no longer land where they should, so a change of points is
reviewed against the examples before it ships::

    as_of: 2026-11-01                 # optional: "now" for decay and windows (no offset: settings.timezone)
    cases:
      - name: VP at a mid-market software company who asked for a demo yesterday
        lead: {job_title: VP Marketing, company_size: 500, industry: Software}
        events:
          - {type: demo_request, days_ago: 1}
          - {type: page_view, url: /pricing, days_ago: 3, count: 4}
        expect: {tier: hand_raiser, grade: A, intent: ">= 30", explanation_contains: demo request}

``lead`` and event keys are leadq's field names (those the ruleset maps under
``columns`` / ``activity_columns``) or the CRM's column names, and no others; values are read
like CSV text, so ``"51-200"`` or ``"12/03/2026"`` read as the ruleset says. An
event has ``type`` (one a rule of the ruleset reads), ``at`` (a time, up to ``as_of``) or
``days_ago`` (0 or more, before ``as_of``; default 0), and ``count`` (default 1): an event the
scoring would leave out without a word is an error. Expectations: ``tier``, ``grade`` and ``route`` (a
value, or a list of allowed values); ``fit``, ``intent`` and ``total`` (a number,
matched as the explanation shows it, to one decimal, or a comparison such as
``">= 40"`` or ``"between 10 and 20"``); ``disqualified`` (true/false);
``reasons`` (the disqualification codes, in any order); ``explanation_contains``
(text or a list, any case).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import polars as pl

from leadq.accounts import uses_workspaces
from leadq.activity import rule_event_spellings
from leadq.cleaning import map_columns
from leadq.errors import InputError, Position, RulesetError, did_you_mean, one_of
from leadq.fields import CONTACT_FIELDS, DERIVED_FROM, EVENT_FIELDS
from leadq.ruleset import Ruleset
from leadq.ruleset_files import decode_yaml_text
from leadq.yaml_reader import Reader, as_mapping, as_sequence
from leadq.yamlsource import YList, YMap, load_yaml

MAX_CASES = 10_000
MAX_EVENT_COUNT = 1_000
TEXT_EXPECTATIONS = ("tier", "grade", "route")
NUMBER_EXPECTATIONS = {"fit": "fit_score", "intent": "intent_score", "total": "total_score"}
EXPECTATIONS = (*TEXT_EXPECTATIONS, *NUMBER_EXPECTATIONS, "disqualified", "reasons", "explanation_contains")
_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
            "!=": operator.ne}
_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*$")
_BETWEEN = re.compile(r"^\s*between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Expectation:
    """One expected outcome of a case: ``key`` (tier, fit, ...) and what satisfies it."""

    key: str
    value: Any
    pos: Position


@dataclass(frozen=True)
class Case:
    """An example lead, its events and what it should get."""

    name: str
    lead_id: str
    lead: dict[str, str]  # CRM column -> text
    events: tuple[dict[str, str], ...]  # activity column -> text, one per event
    expect: tuple[Expectation, ...]
    pos: Position


@dataclass
class CaseResult:
    """How one case scored, and the expectations it missed."""

    name: str
    line: int
    passed: bool
    failures: list[str]
    tier: str | None = None
    grade: str | None = None
    fit: float | None = None
    intent: float | None = None
    total: float | None = None
    reasons: list[str] = field(default_factory=list)
    route: str | None = None
    explanation: str = ""
    rejected: str | None = None  # why leadq rejected the lead's row, if it did


@dataclass
class CasesReport:
    """Every case's result, in file order."""

    ruleset: str
    ruleset_path: str
    cases_path: str
    as_of: str
    results: list[CaseResult]

    @property
    def failed(self) -> int:
        """How many cases missed an expectation."""
        return sum(not r.passed for r in self.results)

    def to_dict(self) -> dict:
        """A JSON-ready dict (the ``--json`` output)."""
        return asdict(self) | {"passed": len(self.results) - self.failed, "failed": self.failed}


# --------------------------------------------------------------------------- reading the cases file


def _text(value: Any, where: str, pos: Position) -> str:
    if value is None:
        raise RulesetError(f"{where}: no value (null); expected text, a number or true/false", pos)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (str, int)):
        return str(value)
    raise RulesetError(f"{where}: expected a value (text, a number, true/false), not a list or a mapping", pos)


def _unknown_key(key: str, mapping: dict[str, str], where: str, *, events: bool) -> str:
    """Why ``key`` is neither a field the ruleset maps nor its column, and what to write instead."""
    section = "activity_columns" if events else "columns"
    if key in (EVENT_FIELDS if events else CONTACT_FIELDS):
        return (f"{where}: '{key}' is a leadq field that this ruleset does not map under {section}:, so a case "
                f"cannot give it; map it there (or leave it out)")
    if not events and key in DERIVED_FROM:
        return f"{where}: '{key}' is derived from {DERIVED_FROM[key]}; give {DERIVED_FROM[key]} instead"
    names = [*mapping, *mapping.values(), *(("type", "at", "days_ago", "count") if events else ())]
    allowed = ("an event takes type, at or days_ago, count, and the activity fields" if events
               else "a lead takes the fields") + f" this ruleset maps under {section}: or their CRM column names"
    return f"{where}: unknown field '{key}'{did_you_mean(key, names)}; {allowed}"


def _columns(values: YMap, mapping: dict[str, str], where: str, *, events: bool = False) -> dict[str, str]:
    """Field or CRM column names -> CRM column names, values as text (blank values left out).

    Any other key is an error: the lead or event would be scored without it, and a case with a
    misspelt field would pass without testing what it says.
    """
    columns = set(mapping.values())
    out: dict[str, str] = {}
    for key, value in values.items():
        if key not in mapping and key not in columns:
            raise RulesetError(_unknown_key(key, mapping, where, events=events), values.key_pos[key])
        column = mapping.get(key, key)
        if column in out:
            raise RulesetError(f"{where}: '{key}' gives the column '{column}' a second time", values.key_pos[key])
        if value is not None:
            out[column] = _text(value, f"{where}.{key}", values.value_pos[key])
    return out


def _expectations(data: YMap, where: str, ruleset: Ruleset) -> tuple[Expectation, ...]:
    out = []
    for key, value in data.items():
        pos = data.value_pos[key]
        if key not in EXPECTATIONS:
            raise RulesetError(f"{where}: unknown expectation '{key}'{did_you_mean(key, EXPECTATIONS)}; "
                               f"{one_of(EXPECTATIONS)}", data.key_pos[key])
        if isinstance(value, YList) and not value and key != "reasons":
            # An empty list is a test no case passes (tier) or every case passes (explanation_contains).
            raise RulesetError(f"{where}.{key}: an empty list; give at least one value", pos)
        if key in TEXT_EXPECTATIONS:
            allowed = [_text(v, f"{where}.{key}", pos) for v in value] if isinstance(value, YList) \
                else [_text(value, f"{where}.{key}", pos)]
            known = {"tier": ruleset.tier_names, "grade": ruleset.grade_letters,
                     "route": ruleset.actions.routing.routes if ruleset.actions and ruleset.actions.routing else ()}[key]
            for name in allowed:
                if name not in known:
                    hint = did_you_mean(name, known) if known else f"; the ruleset has no {key}s"
                    raise RulesetError(f"{where}.{key}: the ruleset has no {key} '{name}'{hint}", pos)
            value = tuple(allowed)
        elif key in NUMBER_EXPECTATIONS:
            value = _number_test(value, f"{where}.{key}", pos)
        elif key == "disqualified":
            if not isinstance(value, bool):
                raise RulesetError(f"{where}.disqualified: expected true or false", pos)
        elif key == "reasons":
            codes = [_text(v, f"{where}.reasons", pos) for v in value] if isinstance(value, YList) else None
            if codes is None:
                raise RulesetError(f"{where}.reasons: expected a list of disqualifier codes ([] for none)", pos)
            known_codes = [d.code for d in ruleset.disqualifiers]
            for code in codes:
                if code not in known_codes:
                    raise RulesetError(f"{where}.reasons: the ruleset has no disqualifier '{code}'"
                                       f"{did_you_mean(code, known_codes)}", pos)
            value = tuple(sorted(codes))
        else:  # explanation_contains
            value = tuple(_text(v, f"{where}.{key}", pos) for v in value) if isinstance(value, YList) \
                else (_text(value, f"{where}.{key}", pos),)
            if not all(v.strip() for v in value):
                raise RulesetError(f"{where}.{key}: blank text is in every explanation; give the words to look for",
                                   pos)
        out.append(Expectation(key, value, pos))
    return tuple(out)


def _number_test(value: Any, where: str, pos: Position) -> tuple[str, float] | tuple[str, float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("=", float(value))
    if isinstance(value, str):
        if m := _COMPARISON.match(value):
            return ("==" if m.group(1) == "=" else m.group(1), float(m.group(2)))
        if m := _BETWEEN.match(value):
            low, high = float(m.group(1)), float(m.group(2))
            if low > high:
                raise RulesetError(f"{where}: \"{value.strip()}\" holds no number; give the lower bound first "
                                   f"(\"between {high:g} and {low:g}\")", pos)
            return ("between", low, high)
    raise RulesetError(f"{where}: expected a number or a comparison such as \">= 40\" or \"between 10 and 20\"",
                       pos)


# Activity fields each event takes from the case, not from its keys.
_SET_BY_THE_CASE = {"lead_id": "the case (the lead's id)", "event_type": "'type'",
                    "occurred_at": "'at' or 'days_ago'"}
# A hundred years: beyond every window, and far from where a date before as_of stops being one.
MAX_DAYS_AGO = 36_500
_DATE_ORDER_HINT = {"us": " (or MM/DD/YYYY, as settings: date_order is us)",
                    "eu": " (or DD/MM/YYYY, as settings: date_order is eu)"}


@dataclass(frozen=True)
class _EventTypes:
    """The event types a ruleset's rules read: every spelling that matches one, and the types as written."""

    spellings: frozenset[str]
    written: tuple[str, ...]
    workspace_column: str | None  # the workspace_id column, when accounts are keyed by workspace

    @classmethod
    def of(cls, ruleset: Ruleset) -> _EventTypes:
        """The event types of ``ruleset``'s event rules."""
        rules = ruleset.event_rules
        column = ruleset.activity_columns.get("workspace_id")
        return cls(frozenset(s for rule in rules for s in rule_event_spellings(rule)),
                   tuple(sorted({t for rule in rules for t in rule.events})),
                   column.column if column and uses_workspaces(ruleset) else None)


@dataclass(frozen=True)
class _EventTime:
    """An event's time as its case gives it, checked with the others once every case is read."""

    text: str
    where: str
    pos: Position
    given: bool  # written as 'at'; else counted back from as_of by 'days_ago' (ISO, always readable)


def _event_type(value: Any, where: str, pos: Position, types: _EventTypes, event: dict[str, str]) -> str:
    """An event's type as text, when a rule of the ruleset reads it (in any of the spellings rules match).

    A type no rule reads scores nothing, so the case would pass or fail for a reason its file does not
    show: a misspelt type is an error. One exception: when accounts are keyed by workspace, an event
    that gives a workspace_id places its lead in that workspace whatever its type (a sign-in, say),
    and is refused only when its type is a near miss of one a rule reads.
    """
    text = _text(value, where, pos)
    name = text.strip()
    if not name:
        raise RulesetError(f"{where}: blank event type"
                           + (f"; {one_of(types.written)}" if types.written else ""), pos)
    if name.lower() in types.spellings:
        return text
    hint = did_you_mean(name, types.written)
    if types.workspace_column and (event.get(types.workspace_column) or "").strip() and not hint:
        return text
    if not types.written:
        raise RulesetError(f"{where}: no rule of this ruleset reads events, so an event of type '{name}' would "
                           "score nothing; leave the events out", pos)
    also = "; an event of another type is taken only for the workspace_id it gives" if types.workspace_column else ""
    raise RulesetError(f"{where}: unknown event type '{name}' (no rule of this ruleset reads it){hint}; "
                       f"{one_of(types.written)}{also}", pos)


def _events(data: Any, where: str, pos: Position, ruleset: Ruleset, as_of: datetime, types: _EventTypes,
            times: list[_EventTime]) -> list[dict[str, str]]:
    """A case's events as activity rows (``count`` times each); each event's time is added to ``times``."""
    if data is None:
        return []
    activity = {name: col.column for name, col in ruleset.activity_columns.items()}
    if not {"event_type", "occurred_at"} <= set(activity):
        raise RulesetError(f"{where}: events need the ruleset to map event_type and occurred_at under "
                           "activity_columns", pos)
    out: list[dict[str, str]] = []
    seq = as_sequence(data, where, pos)
    for n, (item, ipos) in enumerate(zip(seq, seq.item_pos), start=1):
        ewhere = f"{where}[{n}]"
        entry = as_mapping(item, ewhere, ipos)
        r = Reader(entry, ewhere)
        if "type" not in entry:
            raise RulesetError(f"{ewhere}: missing required key 'type' (the event type, e.g. demo_request)", ipos)
        if "at" in entry and "days_ago" in entry:
            raise RulesetError(f"{ewhere}: give 'at' or 'days_ago', not both", entry.key_pos["days_ago"])
        days = r.number("days_ago", 0.0)
        if days is None or not math.isfinite(days):
            raise RulesetError(f"{ewhere}: 'days_ago' must be a number", r.pos("days_ago"))
        if days < 0:
            raise RulesetError(f"{ewhere}: 'days_ago' is {days:g}, a time after as_of, and no event after as_of "
                               "scores; give the days before as_of (0 or more)", r.pos("days_ago"))
        if days > MAX_DAYS_AGO:
            raise RulesetError(f"{ewhere}: 'days_ago' must be at most {MAX_DAYS_AGO:,} (a hundred years), "
                               f"got {days:g}", r.pos("days_ago"))
        count = r.number("count", 1.0, positive=True)
        if count is None or count != int(count) or count > MAX_EVENT_COUNT:
            raise RulesetError(f"{ewhere}: 'count' must be a whole number from 1 to {MAX_EVENT_COUNT}", r.pos("count"))
        if "at" in entry:
            text = "" if entry["at"] is None else _text(entry["at"], f"{ewhere}.at", r.pos("at"))
            time = _EventTime(text, f"{ewhere}.at", r.pos("at"), True)
        else:
            try:
                text = (as_of - timedelta(days=days)).isoformat().replace("+00:00", "Z")
            except OverflowError:
                raise RulesetError(f"{ewhere}: 'days_ago' {days:g} goes back before the year 1", r.pos("days_ago")) \
                    from None
            time = _EventTime(text, f"{ewhere}.days_ago", r.pos("days_ago"), False)
        times.append(time)
        fields = YMap({k: v for k, v in entry.items() if k not in ("type", "at", "days_ago", "count")})
        fields.key_pos = {k: entry.key_pos[k] for k in fields}
        fields.value_pos = {k: entry.value_pos[k] for k in fields}
        given = {name: column for name, column in activity.items() if name not in _SET_BY_THE_CASE}
        for key in fields:
            name = next((n for n, c in activity.items() if key in (n, c)), None)
            if name in _SET_BY_THE_CASE:
                raise RulesetError(f"{ewhere}: '{key}' is set by {_SET_BY_THE_CASE[name]}; leave it out",
                                   entry.key_pos[key])
        event = _columns(fields, given, ewhere, events=True)
        event[activity["event_type"]] = _event_type(entry["type"], f"{ewhere}.type", r.pos("type"), types, event)
        event[activity["occurred_at"]] = time.text
        out += [event] * int(count)
    return out


def _check_times(times: list[_EventTime], ruleset: Ruleset, as_of: datetime) -> None:
    """Raise at the first ``at`` that scoring could not read, or that is after ``as_of``.

    The times are read as one column, by the code that reads them when the cases are scored
    (the ruleset's date order and time zone): an unreadable one would be an event without a
    time, and a later one an event from the future, both left out without a word.
    """
    if not any(t.given for t in times):
        return
    column = ruleset.activity_columns["occurred_at"]
    frame = pl.LazyFrame({column.column: [t.text for t in times]}, schema={column.column: pl.String})
    read = (map_columns(frame, frame.collect_schema(), {"occurred_at": column}, ruleset.settings,
                        blank_placeholders=False)
            .select("occurred_at").collect().to_series().to_list())
    now = as_of.isoformat().replace("+00:00", "Z")
    for time, when in zip(times, read):
        if not time.given:
            continue
        if when is None:
            what = f"cannot read {time.text!r} as a date or time" if time.text.strip() else "no time given"
            raise RulesetError(f"{time.where}: {what}; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
                               f"{_DATE_ORDER_HINT.get(ruleset.settings.date_order, '')}, or give days_ago instead",
                               time.pos)
        if when > as_of:
            # A time without a zone is read in settings.timezone: say what instant it became.
            zoned = re.search(r"(?:[zZ]|[+-]\d\d:?\d\d)\s*$", time.text) is not None
            instant = when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
            read_as = "" if zoned or ruleset.settings.timezone == "UTC" else \
                f" (read as {instant}: a time without an offset is in settings.timezone {ruleset.settings.timezone})"
            raise RulesetError(f"{time.where}: {time.text}{read_as} is after as_of ({now}), and no event after as_of "
                               "scores; give a time up to as_of, or days_ago", time.pos)


def load_cases(path: str, ruleset: Ruleset, as_of: datetime | None) -> tuple[list[Case], datetime]:
    """Read a cases file: its cases and the time they are scored at (``as_of``, else the file's, else now).

    Raises:
        RulesetError: a structural problem, with its line and column (exit 2, like a ruleset).
        InputError: the file cannot be read.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputError(f"cases file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read the cases file {path}: {exc}") from None
    text = decode_yaml_text(raw, path, "cases file")
    data = as_mapping(load_yaml(text, path), "cases file", Position(path, 1, 1))
    top = Reader(data, "cases file")
    if "cases" not in data and {"tiers", "columns", "fit", "intent", "extends"} & set(data):
        raise RulesetError("this is a ruleset, not a cases file: give the ruleset first, then the cases "
                           "(leadq test RULESET CASES.yaml)", Position(path, 1, 1))
    top.check_keys({"as_of", "cases"}, {"cases"})
    if "as_of" in data:
        # Read even when the caller's as_of wins: a file that says nothing readable is wrong anyway.
        from leadq.conditions import as_of_date

        try:  # without an offset, a time in settings.timezone, as --as-of and the events' 'at'
            own = as_of_date(top.text("as_of") or "", ruleset.settings.timezone)
        except ValueError as exc:
            raise RulesetError(f"as_of: {exc}", top.pos("as_of")) from None
        as_of = as_of or own
    as_of = as_of or datetime.now(timezone.utc).replace(microsecond=0)
    seq = as_sequence(data["cases"], "cases", top.pos("cases"))
    if not seq:
        raise RulesetError("cases: give at least one case", top.pos("cases"))
    if len(seq) > MAX_CASES:
        raise RulesetError(f"cases: {len(seq)} cases; the limit is {MAX_CASES}", top.pos("cases"))
    mapped = {name: col.column for name, col in ruleset.columns.items()}
    id_column = mapped["lead_id"]
    types = _EventTypes.of(ruleset)
    times: list[_EventTime] = []
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for n, (item, ipos) in enumerate(zip(seq, seq.item_pos), start=1):
        entry = as_mapping(item, f"case {n}", ipos)
        name = Reader(entry, f"case {n}").text("name")
        where = f"case '{name}'" if name and name.strip() else f"case {n}"
        r = Reader(entry, where)
        r.check_keys({"name", "lead", "events", "expect"}, {"lead", "expect"})
        lead = _columns(as_mapping(entry["lead"], f"{where}: lead", r.pos("lead")), mapped, f"{where}: lead")
        lead_id = lead.setdefault(id_column, f"case-{n}")
        if lead_id in seen:
            raise RulesetError(f"{where}: lead id '{lead_id}' is also case {seen[lead_id]}'s; give each case its own",
                               r.pos("lead"))
        seen[lead_id] = n
        expect = _expectations(as_mapping(entry["expect"], f"{where}: expect", r.pos("expect")), f"{where}: expect",
                               ruleset)
        if not expect:
            raise RulesetError(f"{where}: expect: give at least one expectation ({one_of(EXPECTATIONS)})",
                               r.pos("expect"))
        events = _events(entry.get("events"), f"{where}: events", r.pos("events"), ruleset, as_of, types, times)
        for event in events:
            event[ruleset.activity_columns["lead_id"].column] = lead_id
        cases.append(Case(name if name and name.strip() else f"case {n}", lead_id, lead, tuple(events), expect, ipos))
    _check_times(times, ruleset, as_of)
    return cases, as_of


# --------------------------------------------------------------------------- scoring and checking


def _frame(rows: list[dict[str, str]], columns: list[str]) -> pl.LazyFrame:
    return pl.LazyFrame({c: [row.get(c) for row in rows] for c in columns}, schema={c: pl.String for c in columns})


def _shown_beside(got: float, shown: float, value: tuple) -> str:
    """The figure a failed expectation got, with as many decimals as it takes to see why it failed.

    A comparison is made on the unrounded score, as a tier's condition is: 39.96 fails ">= 40",
    and "got 40" (its one-decimal figure) read as a pass that failed.
    """
    if value[0] == "=":
        return f"{shown:g}"
    for decimals in range(1, 7):
        text = f"{got:.{decimals}f}"
        near = float(text)
        passes = value[1] <= near <= value[2] if value[0] == "between" else _COMPARE[value[0]](near, value[1])
        if not passes:
            return text.rstrip("0").rstrip(".") if "." in text else text
    return repr(got)


def _check(exp: Expectation, row: dict) -> str | None:
    """Why ``row`` misses ``exp`` (None when it meets it)."""
    key, value = exp.key, exp.value
    if key in TEXT_EXPECTATIONS:
        got = row.get(key)
        return None if got in value else f"{key}: expected {' or '.join(value)}, got {got or '(none)'}"
    if key in NUMBER_EXPECTATIONS:
        got = float(row[NUMBER_EXPECTATIONS[key]])
        shown = round(got, 1) + 0.0
        if value[0] == "between":
            ok = value[1] <= got <= value[2]
            want = f"between {value[1]:g} and {value[2]:g}"
        elif value[0] == "=":
            ok = shown == round(value[1], 1)
            want = f"{value[1]:g}"
        else:
            ok = _COMPARE[value[0]](got, value[1])
            want = f"{value[0]} {value[1]:g}"
        return None if ok else f"{key}: expected {want}, got {_shown_beside(got, shown, value)}"
    if key == "disqualified":
        got = bool(row["disqualified"])
        return None if got == value else f"disqualified: expected {str(value).lower()}, got {str(got).lower()}"
    if key == "reasons":
        got = tuple(sorted(row["disqualification_reasons"] or []))
        return None if got == value else f"reasons: expected [{', '.join(value)}], got [{', '.join(got)}]"
    text = (row.get("explanation") or "").lower()
    missing = [v for v in value if v.lower() not in text]
    return None if not missing else f"explanation: no {', '.join(repr(v) for v in missing)}"


def _shared_keys(ruleset: Ruleset, cases: list[Case]) -> list[set[tuple[str, str]]]:
    """Per case, the values through which scoring would tie its lead to another case's.

    A run treats leads with one e-mail address as duplicates (under ``dedupe_on: [..., email]``:
    one is rejected and its events go to the other) and rolls leads with one account key into
    one account. Cases are examples on their own: those that share such a value are scored in
    separate batches. The keys are generous (every account key field, not only the first set),
    which at worst splits a batch more than needed.
    """
    from leadq.accounts import normalise_domain
    from leadq.cleaning import email_key

    column = {name: col.column for name, col in ruleset.columns.items()}
    keys: list[set[tuple[str, str]]] = [set() for _ in cases]

    def values(name: str) -> list[str | None]:
        raw = [case.lead.get(column[name]) if name in column else None for case in cases]
        return [None if v is None else str(v) for v in raw]

    emails = pl.Series("v", values("email"), dtype=pl.String).to_frame().select(email_key(pl.col("v"))) \
        .to_series().to_list()
    if "email" in ruleset.settings.dedupe_on:
        for key, email in zip(keys, emails):
            if email:
                key.add(("email", email))
    accounts = ruleset.actions.accounts
    if accounts is None:
        return keys
    for key_field in accounts.key:
        if key_field == "email_domain":
            found = [e.rsplit("@", 1)[1] if e else None for e in emails]
        elif key_field == "workspace_id":  # the lead's own workspace and those its events give
            ws = ruleset.activity_columns.get("workspace_id")
            own = values("workspace_id") if "workspace_id" in column else [None] * len(cases)
            found = ["\n".join(sorted({str(e[ws.column]) for e in case.events if ws and e.get(ws.column)}
                                      | ({mine.strip()} if mine and mine.strip() else set()))) or None
                     for case, mine in zip(cases, own)]
        else:
            text = pl.Series("v", values(key_field), dtype=pl.String)
            expr = normalise_domain(pl.col("v")) if key_field == "company_domain" else \
                pl.col("v").str.strip_chars().str.to_lowercase()
            found = text.to_frame().select(expr).to_series().to_list()
        for key, value in zip(keys, found):
            for one in (value or "").split("\n"):
                if one:
                    key.add((key_field, one))
    return keys


def _batches(ruleset: Ruleset, cases: list[Case]) -> list[list[Case]]:
    """The cases in as few batches as keep apart those that share an e-mail address or an account (one, usually)."""
    batches: list[tuple[list[Case], set[tuple[str, str]]]] = []
    for case, keys in zip(cases, _shared_keys(ruleset, cases)):
        batch = next((b for b in batches if not (b[1] & keys)), None)
        if batch is None:
            batch = ([], set())
            batches.append(batch)
        batch[0].append(case)
        batch[1].update(keys)
    return [b[0] for b in batches]


def _score_batch(ruleset: Ruleset, cases: list[Case], as_of: datetime, label: str) -> tuple[dict, dict]:
    """Score cases together: their scored rows and their reject reasons, by lead id."""
    from leadq.pipeline import score_frames

    columns = list(dict.fromkeys([col.column for col in ruleset.columns.values()]
                                 + [c for case in cases for c in case.lead]))
    contacts = _frame([case.lead for case in cases], columns)
    events = None
    if ruleset.activity_columns and (ruleset.event_rules or any(case.events for case in cases)):
        event_rows = [e for case in cases for e in case.events]
        event_columns = list(dict.fromkeys([col.column for col in ruleset.activity_columns.values()]
                                           + [c for e in event_rows for c in e]))
        events = _frame(event_rows, event_columns)
    result = score_frames(ruleset, contacts, events, as_of=as_of, contacts_label=label)
    # Only what the expectations and the report read: an as-of near the year 9999 puts the action
    # times (sla_due_at, recheck_at) past what Python's datetime holds.
    wanted = ["lead_id", "tier", "grade", *NUMBER_EXPECTATIONS.values(), "disqualified", "disqualification_reasons",
              "explanation", "route"]
    kept = result.scored.select([c for c in wanted if c in result.scored.columns])
    scored = {row["lead_id"]: row for row in kept.to_dicts()}  # one row per case
    rejected = {}
    if result.rejects.height:
        id_column = ruleset.columns["lead_id"].column
        for row in result.rejects.to_dicts():
            rejected[row.get(id_column)] = row["reason"]
    return scored, rejected


def run_cases(ruleset: Ruleset, cases: list[Case], as_of: datetime, cases_path: str = "") -> CasesReport:
    """Score the cases, in one batch unless some share an e-mail address or an account, and check them."""
    scored: dict = {}
    rejected: dict = {}
    for batch in _batches(ruleset, cases):
        batch_scored, batch_rejected = _score_batch(ruleset, batch, as_of, cases_path or "cases")
        scored.update(batch_scored)
        rejected.update(batch_rejected)
    results = []
    for case in cases:
        row = scored.get(case.lead_id)
        if row is None:
            reason = rejected.get(case.lead_id, "not scored")
            results.append(CaseResult(case.name, case.pos.line, False, [f"rejected: {reason}"], rejected=reason))
            continue
        failures = [f for f in (_check(e, row) for e in case.expect) if f]
        results.append(CaseResult(
            case.name, case.pos.line, not failures, failures, tier=row["tier"], grade=row["grade"],
            fit=row["fit_score"], intent=row["intent_score"], total=row["total_score"],
            reasons=list(row["disqualification_reasons"] or []), route=row.get("route"),
            explanation=row.get("explanation") or ""))
    return CasesReport(ruleset.name, ruleset.path, cases_path, as_of.isoformat().replace("+00:00", "Z"), results)
