"""Reading a ruleset: YAML in, :mod:`leadq.ruleset` dataclasses out, every error with its position.

Checks structure and types (unknown keys with did-you-mean, ids, numbers, condition
syntax) of the YAML that :mod:`leadq.ruleset_files` reads (``extends`` merged, the
built-in rulesets), section by section, through the typed reader of
:mod:`leadq.yaml_reader`; :mod:`leadq.compiler` then checks that conditions name real
fields. :func:`load_ruleset` runs both.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, BinaryIO

from leadq.conditions import Type
from leadq.errors import Position, RulesetError, did_you_mean, one_of
from leadq.fields import ACCOUNT_FIELDS, COLUMN_TYPES, CONTACT_FIELDS, DERIVED_FIELDS, EVENT_FIELDS
from leadq.ruleset import (
    CATEGORIES, DATE_ORDERS, DECAY_MODES, NUMBER_FORMATS, PER_MODES, PER_PERIODS, RANGE_READINGS, Column, Disqualifier, Grade, Rule, Ruleset,
    ScoreGroup, Settings, Tier,
)
from leadq.ruleset_files import (
    STDIN_RULESET, builtin_ruleset_path, decode_yaml_text, inherited_section_hint, load_merged,
)
from leadq.yaml_reader import Reader, as_mapping, as_sequence, check_id
from leadq.yamlsource import YMap

MAX_RULES = 5000
DEFAULT_RULESET = "b2b_saas"

TOP_LEVEL_KEYS = {
    "version", "name", "description", "extends", "columns", "account_columns", "activity_columns",
    "settings", "lists", "groups", "fit", "intent", "negative", "disqualifiers", "grades", "tiers",
    # Sections read by later stages (routing, funnel, titles, accounts); kept raw here.
    "titles", "routing", "sla", "nurture", "funnel", "accounts",
}


def _humanise(identifier: str) -> str:
    return identifier.replace("_", " ")


# --------------------------------------------------------------------------- sections


def _columns(data: Any, pos: Position, section: str, known: dict[str, Type], *, custom: bool,
             unmapped: dict[str, Position] | None = None, texts: dict[str, str] | None = None) -> dict[str, Column]:
    """A column section. ``field: null`` in a ruleset that extends another removes the parent's
    mapping: the field goes into ``unmapped`` (with where the null is written)."""
    data = as_mapping(data, section, pos)
    out: dict[str, Column] = {}
    for name, spec in data.items():
        kpos = data.key_pos[name]
        vpos = data.value_pos[name]
        if spec is None:
            _check_unmapping(section, name, kpos, texts or {})
            if unmapped is not None:
                unmapped[name] = kpos
            continue
        if name in DERIVED_FIELDS:
            raise RulesetError(f"{section}: '{name}' is derived by leadq and cannot be mapped", kpos)
        if name not in known and not custom:
            raise RulesetError(f"{section}: unknown field '{name}'{did_you_mean(name, known)}; {one_of(known)}", kpos)
        if name not in known:
            check_id(name, f"{section}: custom field", kpos)
        default_type = known.get(name, Type.TEXT)
        if isinstance(spec, YMap):
            reader = Reader(spec, f"{section}.{name}")
            reader.check_keys({"column", "type", "date_order", "number_format"}, {"column"})
            column = reader.text("column")
            type_name = reader.text("type")
            if type_name is None:
                typ = default_type
            elif type_name not in COLUMN_TYPES:
                raise RulesetError(f"{section}.{name}: unknown type '{type_name}'; {one_of(COLUMN_TYPES)}",
                                   reader.pos("type"))
            else:
                typ = COLUMN_TYPES[type_name]
                if name in known and typ is not known[name]:
                    raise RulesetError(
                        f"{section}.{name}: '{name}' is always {known[name].value}; remove 'type'", reader.pos("type"))
            date_order, number_format = _column_formats(reader, f"{section}.{name}", name, typ,
                                                        custom=name not in known)
        elif isinstance(spec, (str, int)) and not isinstance(spec, bool):
            column, typ = str(spec), default_type
            date_order = number_format = None
        else:
            raise RulesetError(f"{section}.{name}: expected the CRM column name as text", vpos)
        if not column:
            raise RulesetError(f"{section}.{name}: the column name is empty", vpos)
        out[name] = Column(name, str(column), typ, vpos, date_order, number_format)
    return out


# What a column's own date_order / number_format reads, and the type of field it applies to.
_COLUMN_FORMAT_TYPES = {"date_order": Type.DATETIME, "number_format": Type.NUMBER}


def _column_formats(reader: Reader, where: str, name: str, typ: Type, *,
                    custom: bool) -> tuple[str | None, str | None]:
    """A column mapping's own ``date_order`` and ``number_format`` (None where not given), checked as
    ``settings`` checks them, and refused on a field of another type (a date order on a number field)."""
    for key, needed in _COLUMN_FORMAT_TYPES.items():
        if reader.get(key) is not None and typ is not needed:
            kind = "date" if needed is Type.DATETIME else "number"
            raise RulesetError(f"{where}: {key} applies to {kind} fields only, and '{name}' is a {typ.value} field; "
                               f"remove '{key}'" + (f" or give type: {needed.value}" if custom else ""), reader.pos(key))
    date_order = reader.text("date_order")
    if date_order is not None and date_order not in DATE_ORDERS:
        raise RulesetError(f"{where}: unknown date_order '{date_order}'; {one_of(DATE_ORDERS)} "
                           "(us = month/day/year, eu = day/month/year)", reader.pos("date_order"))
    number_format = reader.text("number_format")
    if number_format is not None and number_format not in NUMBER_FORMATS:
        allowed = ", ".join(f'"{fmt}" ({what})' for fmt, what in NUMBER_FORMATS.items())
        raise RulesetError(f"{where}: unknown number_format '{number_format}'; expected one of: {allowed}",
                           reader.pos("number_format"))
    return date_order, number_format


def _check_unmapping(section: str, name: str, kpos: Position, texts: dict[str, str]) -> None:
    """That ``name: null``, written at ``kpos``, removes a mapping of the ruleset its file extends.

    The merged sections keep the null and its position (:func:`leadq.ruleset_files.load_merged`),
    so the file that wrote it is read again, with the parent it extends: only here, for a null.
    ``texts``: the text of a ruleset that is not in its file (stdin), by its name.
    """
    from leadq.ruleset_files import read_ruleset_text, resolve_extends
    from leadq.yamlsource import load_yaml

    own = load_yaml(texts[kpos.path] if kpos.path in texts else read_ruleset_text(kpos.path), kpos.path)
    if not isinstance(own, YMap) or not isinstance(own.get("extends"), str):
        raise RulesetError(f"{section}.{name}: null removes a mapping only in a ruleset that extends another; "
                           f"to leave '{name}' unmapped, leave the key out", kpos)
    parent_path = resolve_extends(own["extends"], kpos.path, own.value_pos["extends"])
    parent = load_merged(parent_path).get(section)
    mapped = parent if isinstance(parent, YMap) else {}
    if name not in mapped:
        raise RulesetError(f"{section}.{name}: null removes the parent's mapping, but {Path(parent_path).name} "
                           f"maps no '{name}' under {section}:{did_you_mean(name, mapped)}; leave the key out", kpos)


def _settings(data: Any, pos: Position) -> Settings:
    if data is None:
        return Settings()
    r = Reader(as_mapping(data, "settings", pos), "settings")
    r.check_keys({"half_life_days", "decay", "lookback_days", "date_order", "number_format", "number_ranges", "timezone",
                  "dedupe_on", "small_segment"})
    date_order = r.text("date_order", "iso")
    if date_order not in DATE_ORDERS:
        raise RulesetError(f"settings: unknown date_order '{date_order}'; {one_of(DATE_ORDERS)} "
                           "(us = month/day/year, eu = day/month/year)", r.pos("date_order"))
    number_format = r.text("number_format", "1,234.5")
    if number_format not in NUMBER_FORMATS:
        allowed = ", ".join(f'"{name}" ({what})' for name, what in NUMBER_FORMATS.items())
        raise RulesetError(f"settings: unknown number_format '{number_format}'; expected one of: {allowed}",
                           r.pos("number_format"))
    number_ranges = r.text("number_ranges", "low")
    if number_ranges not in RANGE_READINGS:
        allowed = ", ".join(f"{name} ({what})" for name, what in RANGE_READINGS.items())
        raise RulesetError(f"settings: unknown number_ranges '{number_ranges}'; expected one of: {allowed}",
                           r.pos("number_ranges"))
    dedupe = r.get("dedupe_on", ["lead_id"])
    if isinstance(dedupe, str):
        dedupe = [dedupe]
    if not isinstance(dedupe, list) or not dedupe or any(d not in ("lead_id", "email") for d in dedupe):
        raise RulesetError("settings: dedupe_on must list lead_id and/or email", r.pos("dedupe_on"))
    tz = r.text("timezone", "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:
        raise RulesetError(f"settings: unknown time zone '{tz}'; use an IANA name such as Europe/London",
                           r.pos("timezone")) from None
    small = r.number("small_segment", 30, positive=True)
    return Settings(
        half_life_days=r.number("half_life_days", 30.0, positive=True, allow_none=True),
        decay=_decay(r, "settings", "continuous"),
        lookback_days=r.number("lookback_days", 180.0, positive=True),
        date_order=date_order,
        number_format=number_format,
        number_ranges=number_ranges,
        timezone=tz,
        dedupe_on=tuple(dedupe),
        small_segment=int(small or 30),
    )


def _decay(r: Reader, where: str, default: str) -> str:
    """The ``decay`` key: one of :data:`leadq.ruleset.DECAY_MODES`."""
    decay = r.text("decay", default) or default
    if decay not in DECAY_MODES:
        allowed = ", ".join(f"{name} ({what})" for name, what in DECAY_MODES.items())
        raise RulesetError(f"{where}: unknown decay '{decay}'{did_you_mean(str(decay), DECAY_MODES)}; expected one of: "
                           f"{allowed}", r.pos("decay"))
    return str(decay)


def _per(r: Reader, where: str) -> str:
    """An event rule's ``per`` key: one of :data:`leadq.ruleset.PER_MODES`."""
    per = r.text("per", "event") or "event"
    if per not in PER_MODES:
        allowed = ", ".join(f"{name} ({what})" for name, what in PER_MODES.items())
        raise RulesetError(f"{where}: unknown per '{per}'{did_you_mean(str(per), PER_MODES)}; expected one of: "
                           f"{allowed}", r.pos("per"))
    return str(per)


def _lists(data: Any, pos: Position) -> dict[str, tuple]:
    """The ``lists`` section, every list expanded: the built-in lists, then the ruleset's.

    An item ``"@name"`` includes the items of another list: one the ruleset defines, or a
    built-in one (:data:`leadq.domain_lists.BUILTIN_LISTS`). In a list that redefines a
    built-in one, ``"@"`` and its own name is the built-in list
    (``personal_email_domains: ["@personal_email_domains", mail.de]`` adds to it); elsewhere
    ``@name`` is the list as the ruleset leaves it, as in a condition. The result is what every
    user of the lists reads (conditions on both engines, ``accounts``, routing): no ``@`` item
    is left in it, and an item listed twice is kept once.
    """
    from leadq.domain_lists import BUILTIN_LISTS, load_builtin_list

    builtin = {name: load_builtin_list(name) for name in BUILTIN_LISTS}
    if data is None:
        return builtin
    data = as_mapping(data, "lists", pos)
    known = set(builtin) | set(data)
    raw: dict[str, Any] = {}
    for name, values in data.items():
        check_id(name, "lists", data.key_pos[name])
        seq = as_sequence(values, f"lists.{name}", data.value_pos[name])
        for item, ipos in zip(seq, seq.item_pos):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise RulesetError(f"lists.{name}: items must be text or numbers", ipos)
            ref = _included(item)
            if ref is not None and ref not in known:
                raise RulesetError(f"lists.{name}: unknown list '{item}'{did_you_mean(ref, known)}; "
                                   f"{one_of(known)}{_not_a_list_hint(ref)}", ipos)
        raw[name] = seq
    return {**builtin, **_expand_includes(raw, builtin)}


def _included(item: Any) -> str | None:
    """The list an item ``"@name"`` includes, or None for a plain item."""
    return item[1:] if isinstance(item, str) and item.startswith("@") else None


def _not_a_list_hint(ref: str) -> str:
    """What to write when ``@ref`` was not meant as a list (``@gmail.com``): the text without the @."""
    if re.fullmatch(r"[a-z][a-z0-9_]*", ref):
        return ""
    return f"; an item starting with '@' includes the list of that name: write '{ref}' without the '@'"


def _expand_includes(raw: dict[str, Any], builtin: dict[str, tuple]) -> dict[str, tuple]:
    """Each list of ``raw`` with its ``@name`` items replaced by those lists' items (depth first, no recursion:
    a chain of includes may be as long as the ruleset has lists)."""
    done: dict[str, tuple] = {}
    for root in raw:
        if root in done:
            continue
        stack: list[list] = [[root, 0]]  # [list name, index of its next item]
        items: dict[str, list] = {root: []}  # the lists being expanded (the path from root), with their items so far
        while stack:
            name, i = stack[-1]
            seq = raw[name]
            if i == len(seq):
                stack.pop()
                done[name] = tuple(dict.fromkeys(items.pop(name)))  # the first of repeated items, in order
                if stack:
                    items[stack[-1][0]].extend(done[name])
                continue
            stack[-1][1] += 1
            item, ref = seq[i], _included(seq[i])
            if ref is None:
                items[name].append(item)
            elif (ref == name and ref in builtin) or ref not in raw:
                items[name].extend(builtin[ref])  # a built-in list extended in place, or one not redefined
            elif ref in done:
                items[name].extend(done[ref])
            elif ref in items:
                raise RulesetError(_cycle_message(name, ref, [n for n, _ in stack], builtin), seq.item_pos[i])
            else:
                stack.append([ref, 0])
                items[ref] = []
    return {name: done[name] for name in raw}  # in file order


def _cycle_message(name: str, ref: str, path: list[str], builtin: dict[str, tuple]) -> str:
    if ref == name:
        return (f"lists.{name}: '@{name}' includes the list in itself; only a built-in list "
                f"({', '.join(builtin)}) may name itself, to add to its built-in items")
    chain = " -> ".join(path[path.index(ref):] + [ref])
    hint = ""
    if ref in builtin or name in builtin:
        b = ref if ref in builtin else name
        hint = f"; to add to the built-in {b}, write '@{b}' in lists.{b} itself"
    return f"lists.{name}: the lists include each other in a cycle ({chain}); remove one of these includes{hint}"


_RULE_KEYS_CONTACT = {"id", "label", "when", "points", "score", "group"}
_RULE_KEYS_EVENT = {"id", "label", "event", "where", "points", "cap", "within_days", "half_life_days", "decay",
                    "min_count", "per", "score", "group"}


def _group_caps(data: Any, pos: Position) -> dict[str, tuple[str, float, Position]]:
    """The ``groups`` section: group id -> (label, cap, position)."""
    if data is None:
        return {}
    data = as_mapping(data, "groups", pos)
    out: dict[str, tuple[str, float, Position]] = {}
    for gid, spec in data.items():
        check_id(gid, "groups", data.key_pos[gid])
        r = Reader(as_mapping(spec, f"groups.{gid}", data.value_pos[gid]), f"groups.{gid}")
        r.check_keys({"label", "cap"}, {"cap"})
        out[gid] = (r.text("label") or _humanise(gid), r.number("cap", positive=True), data.key_pos[gid])  # type: ignore[assignment]
    return out


def _groups(caps: dict[str, tuple[str, float, Position]], rules: list[Rule]) -> tuple[ScoreGroup, ...]:
    """Each group with its rules, which must all count toward one score."""
    out = []
    for gid, (label, cap, gpos) in caps.items():
        members = [r for r in rules if r.group == gid]
        if not members:
            raise RulesetError(f"groups.{gid}: no rule has 'group: {gid}'; give it rules or remove it", gpos)
        other = next((m for m in members if m.score != members[0].score), None)
        if other is not None:
            raise RulesetError(f"rule '{other.id}' counts toward {other.score}, but group '{gid}' caps "
                               f"{members[0].score} (rule '{members[0].id}'); a group's rules share one score",
                               other.pos)
        out.append(ScoreGroup(gid, label, cap, members[0].score, tuple(m.id for m in members), gpos))
    return tuple(out)


def _event_type(value: Any, what: str, pos: Position) -> str:
    """One event type of a rule's ``event:``, as text: a whole number (a Marketo activity type id
    written unquoted, ``event: 1``) is its digits, as ``type: 1`` in a ``leadq test`` case is."""
    if isinstance(value, str):
        if not value.strip():
            raise RulesetError(f"{what} is blank; give an event type, as the activity log writes it", pos)
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bool):
        found = (f"the YAML boolean {str(value).lower()} (YAML reads yes, no, on, off, true and false unquoted "
                 "as booleans)")
        fix = f'quote it as the activity log writes it, e.g. "{"yes" if value else "no"}"'
    elif isinstance(value, float):
        found, fix = f"the number {value!r}", f'write event types as text: quote it, "{value!r}"'
    elif value is None:
        found, fix = "empty (null)", "give an event type, as the activity log writes it"
    elif isinstance(value, dict):
        found, fix = "a mapping", "give an event type (event: demo_request) or a list of them (event: [1, 2])"
    else:
        found, fix = "a list inside the list", "give one flat list of event types (event: [1, 2])"
    raise RulesetError(f"{what} is {found}; {fix}", pos)


def _event_types(value: Any, where: str, pos: Position) -> tuple[str, ...]:
    """A rule's ``event:``: one event type or a list of them, each text or a whole number (see _event_type)."""
    if not isinstance(value, list):
        return (_event_type(value, f"{where}: 'event'", pos),)
    if not value:
        raise RulesetError(f"{where}: 'event' is an empty list; give at least one event type", pos)
    item_pos = getattr(value, "item_pos", [pos] * len(value))
    return tuple(_event_type(item, f"{where}: 'event' item {i}", ipos)
                 for i, (item, ipos) in enumerate(zip(value, item_pos), start=1))


def _rules(data: Any, pos: Position, section: str, settings: Settings, groups: dict | None = None) -> list[Rule]:
    if data is None:
        return []
    seq = as_sequence(data, section, pos)
    out: list[Rule] = []
    for item, ipos in zip(seq, seq.item_pos):
        entry = as_mapping(item, f"{section} rule", ipos)
        rid = entry.get("id")
        where = f"{section} rule '{rid}'" if isinstance(rid, str) else f"{section} rule"
        r = Reader(entry, where)
        is_event = "event" in entry
        if is_event:
            r.check_keys(_RULE_KEYS_EVENT, {"id", "event", "points"})
        else:
            extra = [k for k in entry if k in _RULE_KEYS_EVENT - _RULE_KEYS_CONTACT]
            if extra:
                raise RulesetError(f"{where}: '{extra[0]}' applies only to event rules (rules with 'event:')",
                                   entry.key_pos[extra[0]])
            r.check_keys(_RULE_KEYS_CONTACT, {"id", "when", "points"})
        rule_id = check_id(rid, where, r.pos("id"))
        points = r.number("points")
        if section == "negative" and points is not None and points >= 0:
            raise RulesetError(f"{where}: negative rules take points below 0, got {points:g}", r.pos("points"))
        default_score = "intent" if (section == "intent" or is_event) else "fit"
        score = r.text("score", default_score)
        if score not in ("fit", "intent"):
            raise RulesetError(f"{where}: score must be fit or intent", r.pos("score"))
        label = r.text("label") or _humanise(rule_id)
        group = r.text("group") if "group" in entry else None
        if group is not None and group not in (groups or {}):
            raise RulesetError(f"{where}: unknown group '{group}'{did_you_mean(str(group), groups or {})}; "
                               "define it under 'groups' with its cap", r.pos("group"))
        if section == "fit" and is_event:
            raise RulesetError(f"{where}: fit rules describe who the lead is; move event rules to 'intent'",
                               entry.key_pos["event"])
        if is_event:
            events = _event_types(entry["event"], where, r.pos("event"))
            per = _per(r, where)
            once_per = per if per in PER_PERIODS else None
            per = "event" if once_per else per
            min_count = r.number("min_count", 1, positive=True)
            if min_count is not None and min_count != int(min_count):
                raise RulesetError(f"{where}: min_count must be a whole number", r.pos("min_count"))
            half_life = (r.number("half_life_days", None, positive=True, allow_none=True)
                         if "half_life_days" in entry else settings.half_life_days)
            out.append(Rule(
                id=rule_id, label=label, section=section, score=score, points=points or 0.0, pos=ipos,
                events=events, where=r.condition("where"),
                cap=r.number("cap", None, positive=True),
                within_days=r.number("within_days", settings.lookback_days, positive=True),
                half_life_days=half_life, decay=_decay(r, where, settings.decay), min_count=int(min_count or 1),
                per=per, once_per=once_per, group=group,
                events_pos=r.pos("event"),
            ))
        else:
            out.append(Rule(id=rule_id, label=label, section=section, score=score, points=points or 0.0,
                            pos=ipos, when=r.condition("when"), group=group))
    return out


def _disqualifiers(data: Any, pos: Position) -> list[Disqualifier]:
    if data is None:
        return []
    seq = as_sequence(data, "disqualifiers", pos)
    out = []
    for item, ipos in zip(seq, seq.item_pos):
        entry = as_mapping(item, "disqualifier", ipos)
        code = entry.get("code")
        where = f"disqualifier '{code}'" if isinstance(code, str) else "disqualifier"
        r = Reader(entry, where)
        r.check_keys({"code", "label", "category", "when"}, {"code", "category", "when"})
        code = check_id(code, where, r.pos("code"))
        category = r.text("category")
        if category not in CATEGORIES:
            raise RulesetError(f"{where}: unknown category '{category}'{did_you_mean(str(category), CATEGORIES)}; "
                               f"{one_of(CATEGORIES)} (bad_fit disqualifies; bad_timing routes to nurture)",
                               r.pos("category"))
        out.append(Disqualifier(code, r.text("label") or _humanise(code), category, r.condition("when"), ipos))
    return out


def _grades(data: Any, pos: Position) -> list[Grade]:
    if data is None:
        data = YMap({"A": 40, "B": 25, "C": 10, "D": "otherwise"})
        data.pos, data.key_pos, data.value_pos = pos, {k: pos for k in data}, {k: pos for k in data}
    data = as_mapping(data, "grades", pos)
    out: list[Grade] = []
    previous: float | None = None
    items = list(data.items())
    if not items:
        raise RulesetError("grades: give at least one letter", pos)
    for i, (letter, value) in enumerate(items):
        kpos, vpos = data.key_pos[letter], data.value_pos[letter]
        if not re.fullmatch(r"[A-Z][+-]?", str(letter)):
            raise RulesetError(f"grades: '{letter}' is not a grade letter (A, B, C ... optionally with + or -)", kpos)
        last = i == len(items) - 1
        if isinstance(value, str) and value.strip().lower() == "otherwise":
            if not last:
                raise RulesetError(f"grades: '{letter}: otherwise' must be the last grade; "
                                   "the grades after it can never be given", vpos)
            out.append(Grade(str(letter), None, kpos))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RulesetError(f"grades.{letter}: expected the minimum fit score (a number) or 'otherwise'", vpos)
        if previous is not None and value >= previous:
            raise RulesetError(f"grades.{letter}: minimum fit {value:g} must be below the grade above it "
                               f"({previous:g}); list grades best first", vpos)
        previous = float(value)
        if last:
            raise RulesetError(f"grades: the last grade must be 'otherwise' so that every lead gets a letter "
                               f"(write '{letter}: otherwise' or add one below it)", vpos)
        out.append(Grade(str(letter), float(value), kpos))
    return out


def _tiers(data: Any, pos: Position) -> list[Tier]:
    if data is None:
        raise RulesetError("missing required section 'tiers'", pos)
    seq = as_sequence(data, "tiers", pos)
    out: list[Tier] = []
    for item, ipos in zip(seq, seq.item_pos):
        entry = as_mapping(item, "tier", ipos)
        name = entry.get("name")
        where = f"tier '{name}'" if isinstance(name, str) else "tier"
        r = Reader(entry, where)
        r.check_keys({"name", "when", "otherwise", "description"}, {"name"})
        name = check_id(name, where, r.pos("name"))
        otherwise = entry.get("otherwise", False)
        if otherwise not in (True, False):
            raise RulesetError(f"{where}: otherwise must be true or false", r.pos("otherwise"))
        if otherwise and "when" in entry:
            raise RulesetError(f"{where}: give either 'when' or 'otherwise: true', not both", r.pos("otherwise"))
        if not otherwise and "when" not in entry:
            raise RulesetError(f"{where}: needs 'when: <condition>' (or 'otherwise: true' for the last tier)", ipos)
        out.append(Tier(name, None if otherwise else r.condition("when"), ipos, r.text("description", "") or ""))
    if not out:
        raise RulesetError("tiers: give at least one tier", pos)
    for i, tier in enumerate(out):
        if tier.when is None and i != len(out) - 1:
            raise RulesetError(f"tier '{out[i + 1].name}' can never be reached: tier '{tier.name}' above it "
                               "matches every lead ('otherwise')", out[i + 1].pos)
        earlier = [t for t in out[:i] if t.when is not None and tier.when is not None
                   and t.when.text.strip() == tier.when.text.strip()]
        if earlier:
            raise RulesetError(f"tier '{tier.name}' can never be reached: tier '{earlier[0].name}' above it has "
                               "the same condition", tier.pos)
    if out[-1].when is not None:
        raise RulesetError(f"tiers: the last tier must be 'otherwise: true' so that every lead gets a tier "
                           f"(tier '{out[-1].name}' has a condition)", out[-1].pos)
    return out


# --------------------------------------------------------------------------- loading


def read_stdin_ruleset(stream: BinaryIO | None = None) -> str:
    """The text of a ruleset given as ``-``, read from ``stream`` (default: standard input).

    Load it with ``load_ruleset(STDIN_RULESET, text=...)``: messages then name it ``<stdin>``,
    with lines as for a file, and a relative ``extends`` is found in the working directory.
    """
    raw = (stream if stream is not None else sys.stdin.buffer).read(2_000_001)
    return decode_yaml_text(raw, STDIN_RULESET, "ruleset")


def parse_ruleset(path: str, text: str | None = None) -> Ruleset:
    """Read a ruleset file and check its structure (not yet its conditions' names).

    ``text``: the ruleset's text when it is not in the file ``path`` (stdin: ``path`` is then its name).
    """
    data = load_merged(path, text=text)
    if "cases" in data and not {"tiers", "columns"} & set(data):
        raise RulesetError("this is a cases file of `leadq test`, not a ruleset: leadq test takes the ruleset "
                           "first, then the cases (leadq test RULESET CASES.yaml)", data.key_pos.get("cases", data.pos))
    Reader(data, "ruleset").check_keys(TOP_LEVEL_KEYS)
    pos = data.pos

    def vpos(key: str) -> Position:
        return data.value_pos.get(key, pos)

    version = data.get("version", 1)
    if version != 1:
        raise RulesetError(f"version: this leadq reads ruleset version 1, not {version!r}", vpos("version"))
    if "columns" not in data:
        raise RulesetError("missing required section 'columns' (at least lead_id: <CRM column>)", pos)
    unmapped: dict[str, dict[str, Position]] = {"columns": {}, "account_columns": {}, "activity_columns": {}}
    texts = {} if text is None else {path: text}
    columns = _columns(data["columns"], vpos("columns"), "columns", CONTACT_FIELDS, custom=True,
                       unmapped=unmapped["columns"], texts=texts)
    if "lead_id" not in columns:
        raise RulesetError("columns: map 'lead_id' to the CRM's record id column", vpos("columns"))
    account_columns = (_columns(data["account_columns"], vpos("account_columns"), "account_columns",
                                ACCOUNT_FIELDS, custom=True, unmapped=unmapped["account_columns"], texts=texts)
                       if "account_columns" in data else {})
    if account_columns and "account_id" not in account_columns:
        raise RulesetError("account_columns: map 'account_id' to the accounts file's id column",
                           vpos("account_columns"))
    activity_columns = (_columns(data["activity_columns"], vpos("activity_columns"), "activity_columns",
                                 EVENT_FIELDS, custom=True, unmapped=unmapped["activity_columns"], texts=texts)
                        if "activity_columns" in data else {})
    settings = _settings(data.get("settings"), vpos("settings"))
    caps = _group_caps(data.get("groups"), vpos("groups"))
    rules = (_rules(data.get("fit"), vpos("fit"), "fit", settings, caps)
             + _rules(data.get("intent"), vpos("intent"), "intent", settings, caps)
             + _rules(data.get("negative"), vpos("negative"), "negative", settings, caps))
    if len(rules) > MAX_RULES:
        raise RulesetError(f"ruleset has {len(rules)} rules; the limit is {MAX_RULES}", pos)
    if any(r.is_event_rule for r in rules):
        missing = [f for f in ("lead_id", "event_type", "occurred_at") if f not in activity_columns]
        if missing:
            raise RulesetError(f"activity_columns: event rules need {', '.join(missing)} mapped", vpos("activity_columns")
                               if "activity_columns" in data else pos)
    seen: dict[str, Position] = {}
    for r in rules:
        if r.id in seen:
            raise RulesetError(f"rule id '{r.id}' is used twice (first at line {seen[r.id].line})", r.pos)
        seen[r.id] = r.pos
    groups = _groups(caps, rules)
    disqualifiers = _disqualifiers(data.get("disqualifiers"), vpos("disqualifiers"))
    codes: dict[str, Position] = {}
    for d in disqualifiers:
        if d.code in codes:
            raise RulesetError(f"disqualifier code '{d.code}' is used twice (first at line {codes[d.code].line})",
                               d.pos)
        codes[d.code] = d.pos
    sections = {k: data[k] for k in ("titles", "routing", "sla", "nurture", "funnel", "accounts") if k in data}
    from leadq.funnel_settings import parse_funnel

    funnel = parse_funnel(data.get("funnel"), vpos("funnel"))
    from leadq.ruleset_actions import parse_action_sections

    lists = _lists(data.get("lists"), vpos("lists"))
    grades = tuple(_grades(data.get("grades"), vpos("grades")))
    tiers = tuple(_tiers(data.get("tiers"), vpos("tiers")))
    actions = parse_action_sections(sections, {k: data.value_pos[k] for k in sections}, {
        "tiers": tuple(dict.fromkeys(t.name for t in tiers)), "lists": lists, "columns": columns,
        "activity_columns": activity_columns, "event_rule_ids": tuple(r.id for r in rules if r.is_event_rule),
        "fit_rule_ids": tuple(r.id for r in rules if r.score == "fit")})
    return Ruleset(
        name=str(data.get("name") or Path(path).stem),
        path=path,
        description=str(data.get("description") or ""),
        columns=columns,
        account_columns=account_columns,
        activity_columns=activity_columns,
        settings=settings,
        lists=lists,
        rules=tuple(rules),
        disqualifiers=tuple(disqualifiers),
        grades=grades,
        tiers=tiers,
        sections=sections,
        section_pos={k: data.value_pos[k] for k in sections},
        funnel=funnel,
        actions=actions,
        groups=groups,
        unmapped={section: fields for section, fields in unmapped.items() if fields},
    )


def load_ruleset(path: str | None = None, text: str | None = None) -> Ruleset:
    """Load and fully validate a ruleset; ``None`` loads the embedded default.

    With ``text`` (from :func:`read_stdin_ruleset`) that is the ruleset, and ``path`` only its name.

    Raises:
        RulesetError: with file, line and column of the first problem.
    """
    if path is None:
        builtin = builtin_ruleset_path(DEFAULT_RULESET)
        if builtin is None:  # pragma: no cover - packaging error
            raise RulesetError(f"the embedded default ruleset '{DEFAULT_RULESET}' is missing from the package")
        path = builtin
    elif text is None and not Path(path).exists() and builtin_ruleset_path(path):
        path = builtin_ruleset_path(path)  # type: ignore[assignment]
    try:
        ruleset = parse_ruleset(path, text)
        from leadq.compiler import check_ruleset

        check_ruleset(ruleset)
        from leadq.routing import check_actions

        check_actions(ruleset)
    except RulesetError as exc:
        hint = "" if exc.position is None else _inherited_hint(path, text, exc.position)
        if hint:
            exc.message += hint
            exc.args = (exc.message,)
        raise
    return ruleset


def _inherited_hint(path: str, text: str | None, error: Position) -> str:
    """The advice for an error inside a section inherited through ``extends`` (see inherited_section_hint)."""
    if not error.path or error.path == path:
        return ""
    try:
        data = load_merged(path, text=text)
    except RulesetError:
        return ""
    return inherited_section_hint(path, data, error)
