"""Typed parsing of the ruleset sections that act on a score: routing, SLAs, nurture, accounts, titles.

:mod:`leadq.ruleset` keeps these sections raw in ``Ruleset.sections`` and calls
:func:`parse_action_sections` to turn them into the frozen dataclasses of
:mod:`leadq.action_model`.
Like the rest of the ruleset model this checks structure and types only, with
the position of every problem; :mod:`leadq.routing` and :mod:`leadq.accounts`
compile the conditions (and so check the names they use) at load time.

Shapes (every key but the ones marked required is optional)::

    titles:                       # overrides of leadq.title_taxonomy.DEFAULT_TITLE_MAP
      seniority: {vp: ['\\bvp\\b', ...]}
      department: {data: ['\\banalytics\\b', ...]}
    routing:
      territories: {emea: [Germany, France], amer: "@amer_countries"}   # country lists
      segments: {enterprise: company_size >= 5000, smb: otherwise}     # ordered conditions
      product_lines: {analytics: fired(analytics_pages)}               # ordered conditions
      rules:                      # ordered, first match wins
        - {when: <condition>, route: emea_sdr, owners: [anna, ben]}   # route required
        - {when: <condition>, route: amer_sdr, owners: {sam: 2, casey: 1}}   # weighted shares
        - {when: <condition>, route: apac_sdr, owners: [dev, mei], capacity: 25}   # or {dev: 10}
        - {when: <condition>, route: abm, owners: [priya, lucas], assign: account}   # one owner per account
        - {otherwise: true, route: marketing_nurture}
      flags:                      # not exclusive: every flag that applies
        - {id: solutions_engineer, label: ..., when: <condition>}
    sla:                          # per tier or per route (both apply: the earlier due time wins)
      hand_raiser: {hours: 1, procedure: call_within_hour, from: [demo_request]}
      mql: {hours: 24, procedure: sdr_sequence}
    nurture:
      tiers: [nurture]            # default: the tiers named "nurture"
      tracks:                     # ordered, first match wins
        - {id: re_nurture, label: ..., when: has_reason("not_now"), recheck_days: 180}
    accounts:
      key: [account_id, company_domain]   # the first non-blank names the account
      fit_rules: [mid_market_size, ...]   # default: the best contact's fit score
      contact_intent_cap: 60
      engaged: intent > 0
      intent_from: engaged                # account_intent sums the engaged contacts' only (default: all)
      roles: {economic_buyer: seniority in ["c_level", "vp"]}
      tiers: [{name: target, when: ...}, {name: other, otherwise: true}]
"""

from __future__ import annotations

from typing import Any

from leadq.action_model import (
    ACCOUNT_KEYS,
    ASSIGN_MODES,
    INTENT_FROM,
    Accounts,
    ActionSections,
    Flag,
    NamedCondition,
    Nurture,
    NurtureTrack,
    RouteRule,
    Routing,
    Sla,
    Territory,
)
from leadq.errors import Position, RulesetError, did_you_mean, one_of
from leadq.owners import MAX_OWNER_CAPACITY, MAX_OWNER_SHARE
from leadq.yaml_reader import Reader, as_mapping, as_sequence, check_id, parse_condition
from leadq.yamlsource import YList, YMap

# Due times and recheck dates stay within a century of the as-of time: a larger figure is a slip (days for
# hours, an extra zero), would print years no other tool reads, and past 999,999,999 days does not compute.
MAX_SLA_HOURS = 876_600  # 100 years of 365.25 days
MAX_RECHECK_DAYS = 36_525  # 100 years


def _at_most(value: float, limit: int, unit: str, where: str, key: str, pos: Position) -> float:
    """``value`` when it is at most ``limit``, else a RulesetError saying so."""
    if value > limit:
        raise RulesetError(f"{where}: '{key}' must be at most {limit:,} {unit} (100 years), got {value:g}", pos)
    return value

# --------------------------------------------------------------------------- helpers


def _reader(value: Any, where: str, pos: Position):
    return Reader(as_mapping(value, where, pos), where)


def _text_list(value: Any, where: str, pos: Position, *, lists: dict[str, tuple] | None = None) -> tuple[str, ...]:
    """A list of names, a single name, or (when ``lists`` is given) an ``@list`` reference."""
    if isinstance(value, str):
        if lists is not None and value.startswith("@"):
            name = value[1:]
            if name not in lists:
                raise RulesetError(f"{where}: unknown list '@{name}'{did_you_mean(name, lists)}; "
                                   "define it under 'lists'", pos)
            return tuple(str(v) for v in lists[name])
        return (value,)
    if not isinstance(value, YList):
        raise RulesetError(f"{where}: expected a list of names", pos)
    for item, ipos in zip(value, value.item_pos):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
            raise RulesetError(f"{where}: items must be names (text)", ipos)
    return tuple(str(v) for v in value)




def _shown(value: Any) -> str:
    """A YAML value as the ruleset wrote it, for messages: blank, true, 1.5, [1]."""
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return str(value).lower()
    return str(list(value)) if isinstance(value, list) else str(value)


def _owners(value: Any, where: str, pos: Position) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A route's owners and their shares: a list (equal shares, ``()``) or a mapping of owner to share."""
    if not isinstance(value, YMap):
        if isinstance(value, YList) and any(isinstance(item, YMap) for item in value):
            raise RulesetError(f"{where}: owners: give shares as one mapping, {{sam: 2, tina: 1}}, not as items of "
                               "a list", pos)
        owners = _text_list(value, f"{where}: owners", pos)
        if len(set(owners)) != len(owners):
            raise RulesetError(f"{where}: an owner is listed twice", pos)
        return owners, ()
    shares = []
    for name, share in value.items():
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= MAX_OWNER_SHARE:
            raise RulesetError(f"{where}: owners: {name}'s share must be a whole number from 0 to {MAX_OWNER_SHARE} "
                               f"(its part of the route's new leads, e.g. {{{name}: 2}}), not {_shown(share)}",
                               value.value_pos[name])
        shares.append(share)
    if not value:
        raise RulesetError(f"{where}: owners: expected a list of names, or a mapping of name to share", pos)
    if not any(shares):
        raise RulesetError(f"{where}: owners: every share is 0, so no owner would get a lead; give one a share above 0 "
                           "(owners away for a run: leadq score --away)", pos)
    return tuple(str(k) for k in value), (() if all(x == 1 for x in shares) else tuple(shares))


def _capacities(value: Any, owners: tuple[str, ...], where: str, pos: Position) -> tuple[int | None, ...]:
    """Each owner's capacity from ``capacity: 25`` (every owner) or ``capacity: {sam: 40}`` (those listed)."""
    def checked(cap: Any, name: str | None, at: Position) -> int:
        if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= MAX_OWNER_CAPACITY:
            whose = f"{name}'s capacity" if name else "capacity"
            raise RulesetError(f"{where}: {whose} must be a whole number from 0 to {MAX_OWNER_CAPACITY} (the most new "
                               f"leads an owner takes in a run), not {_shown(cap)}", at)
        return cap

    if not owners:
        raise RulesetError(f"{where}: capacity needs owners; give the route's owners beside it", pos)
    if not isinstance(value, YMap):
        if checked(value, None, pos) == 0:
            raise RulesetError(f"{where}: capacity 0 gives no owner a lead; give a number above 0 (owners away for "
                               "a run: leadq score --away)", pos)
        return (value,) * len(owners)
    for name in value:
        if str(name) not in owners:
            raise RulesetError(f"{where}: capacity: '{name}' is not one of the route's owners"
                               f"{did_you_mean(str(name), owners)}; its owners: {', '.join(owners)}",
                               value.key_pos[name])
    capacities = tuple(checked(value[name], name, value.value_pos[name]) if name in value else None
                       for name in owners)
    if all(cap == 0 for cap in capacities):
        raise RulesetError(f"{where}: capacity: every owner's capacity is 0, so no owner would get a lead", pos)
    return capacities


def _named_conditions(value: Any, where: str, pos: Position, *, allow_otherwise: bool) -> tuple[NamedCondition, ...]:
    data = as_mapping(value, where, pos)
    out: list[NamedCondition] = []
    items = list(data.items())
    for i, (name, text) in enumerate(items):
        kpos, vpos = data.key_pos[name], data.value_pos[name]
        check_id(name, where, kpos)
        if isinstance(text, str) and text.strip().lower() == "otherwise":
            if not allow_otherwise:
                raise RulesetError(f"{where}.{name}: give a condition ('otherwise' is not allowed here)", vpos)
            if i != len(items) - 1:
                raise RulesetError(f"{where}.{name}: 'otherwise' must come last; the entries after it "
                                   "can never match", vpos)
            out.append(NamedCondition(name, None, kpos))
            continue
        if isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, str):
            raise RulesetError(f"{where}.{name}: expected a condition written as text", vpos)
        quoted = data.value_style.get(name) in ('"', "'")
        out.append(NamedCondition(name, parse_condition(text, vpos, f"{where}.{name}", quoted), kpos))
    return tuple(out)


def _when_or_otherwise(r, where: str, ipos: Position):
    otherwise = r.get("otherwise", False)
    if otherwise not in (True, False):
        raise RulesetError(f"{where}: otherwise must be true or false", r.pos("otherwise"))
    if otherwise and "when" in r.data:
        raise RulesetError(f"{where}: give either 'when' or 'otherwise: true', not both", r.pos("otherwise"))
    if not otherwise and "when" not in r.data:
        raise RulesetError(f"{where}: needs 'when: <condition>' (or 'otherwise: true')", ipos)
    return None if otherwise else r.condition("when")


def _check_unreachable(items: list, where: str) -> None:
    for i, item in enumerate(items[:-1]):
        if item.when is None:
            raise RulesetError(f"{where}: the entry after line {item.pos.line} can never be reached: "
                               "the one above it matches everything ('otherwise')", items[i + 1].pos)


def _choice(r, key: str, allowed: tuple[str, ...], where: str) -> str:
    """The value of ``key``, one of ``allowed`` (a RulesetError naming them otherwise)."""
    value = r.get(key)
    if not isinstance(value, str) or value not in allowed:
        shown = _shown(value)
        raise RulesetError(f"{where}: {key}: unknown value '{shown}'{did_you_mean(shown, allowed)}; "
                           f"{one_of(allowed)}", r.pos(key))
    return value


# --------------------------------------------------------------------------- sections


def _routing(value: Any, pos: Position, lists: dict[str, tuple]) -> Routing:
    r = _reader(value, "routing", pos)
    r.check_keys({"territories", "segments", "product_lines", "rules", "flags"}, {"rules"})
    territories: list[Territory] = []
    if "territories" in r.data:
        data = as_mapping(r.get("territories"), "routing.territories", r.pos("territories"))
        seen: dict[str, str] = {}
        for name, countries in data.items():
            check_id(name, "routing.territories", data.key_pos[name])
            values = _text_list(countries, f"routing.territories.{name}", data.value_pos[name], lists=lists)
            for country in values:
                key = country.strip().lower()
                if key in seen:
                    raise RulesetError(f"routing.territories.{name}: '{country}' is already in territory "
                                       f"'{seen[key]}'; a country belongs to one territory", data.value_pos[name])
                seen[key] = name
            territories.append(Territory(name, values, data.key_pos[name]))
    segments = (_named_conditions(r.get("segments"), "routing.segments", r.pos("segments"), allow_otherwise=True)
                if "segments" in r.data else ())
    product_lines = (_named_conditions(r.get("product_lines"), "routing.product_lines", r.pos("product_lines"),
                                       allow_otherwise=True) if "product_lines" in r.data else ())
    rules: list[RouteRule] = []
    seq = as_sequence(r.get("rules"), "routing.rules", r.pos("rules"))
    for n, (item, ipos) in enumerate(zip(seq, seq.item_pos), start=1):
        where = f"routing rule {n}"
        rr = _reader(item, where, ipos)
        rr.check_keys({"route", "when", "otherwise", "owners", "capacity", "label", "assign"}, {"route"})
        route = check_id(rr.get("route"), f"{where}: route", rr.pos("route"))
        where = f"routing rule {n} (route '{route}')"
        owners, shares = _owners(rr.get("owners"), where, rr.pos("owners")) if "owners" in rr.data \
            else ((), ())
        capacities = (_capacities(rr.get("capacity"), owners, where, rr.pos("capacity")) if "capacity" in rr.data
                      else ())
        assign = _choice(rr, "assign", ASSIGN_MODES, where) if "assign" in rr.data else "lead"
        if "assign" in rr.data and not owners:
            raise RulesetError(f"{where}: assign needs owners; give the route's owners beside it", rr.pos("assign"))
        rules.append(RouteRule(route, _when_or_otherwise(rr, where, ipos), owners, ipos, rr.text("label", "") or "",
                               shares, capacities, assign))
    if not rules:
        raise RulesetError("routing.rules: give at least one rule", r.pos("rules"))
    _check_unreachable(rules, "routing.rules")
    for rule in rules:
        first = next(x for x in rules if x.route == rule.route and (x.owners or x is rule))
        if rule.owners and (first.owners, first.shares, first.capacities, first.assign) != (
                rule.owners, rule.shares, rule.capacities, rule.assign):
            raise RulesetError(f"routing: route '{rule.route}' already has owners {list(first.owners)} (line "
                               f"{first.pos.line}); list a route's owners (and capacity, assign) once, or the same "
                               "way", rule.pos)
    flags: list[Flag] = []
    if "flags" in r.data:
        fseq = as_sequence(r.get("flags"), "routing.flags", r.pos("flags"))
        for item, ipos in zip(fseq, fseq.item_pos):
            fr = _reader(item, "routing flag", ipos)
            fid = fr.get("id")
            where = f"routing flag '{fid}'" if isinstance(fid, str) else "routing flag"
            fr.where = where
            fr.check_keys({"id", "label", "when"}, {"id", "when"})
            fid = check_id(fid, where, fr.pos("id"))
            if any(f.id == fid for f in flags):
                raise RulesetError(f"{where}: flag id '{fid}' is used twice", ipos)
            flags.append(Flag(fid, fr.text("label") or fid.replace("_", " "), fr.condition("when"), ipos))
    return Routing(tuple(territories), segments, product_lines, tuple(rules), tuple(flags), pos)


def _sla(value: Any, pos: Position, tiers: tuple[str, ...], routes: tuple[str, ...],
         event_rules: tuple[str, ...]) -> tuple[Sla, ...]:
    data = as_mapping(value, "sla", pos)
    known = tuple(dict.fromkeys(tiers + routes))
    out: list[Sla] = []
    for key, spec in data.items():
        kpos = data.key_pos[key]
        if key not in known:
            raise RulesetError(f"sla: '{key}' is neither a tier nor a route{did_you_mean(key, known)}; "
                               f"{one_of(known)}", kpos)
        where = f"sla.{key}"
        r = _reader(spec, where, data.value_pos[key])
        r.check_keys({"hours", "procedure", "from"}, {"hours", "procedure"})
        hours = _at_most(r.number("hours", positive=True), MAX_SLA_HOURS, "hours", where, "hours",  # type: ignore[arg-type]
                         r.pos("hours"))
        procedure = r.text("procedure")
        if not procedure or not procedure.strip():
            raise RulesetError(f"{where}: 'procedure' names the follow-up (e.g. call_within_hour)",
                               r.pos("procedure"))
        start = _text_list(r.get("from"), f"{where}.from", r.pos("from")) if "from" in r.data else ()
        for rule_id in start:
            if rule_id not in event_rules:
                raise RulesetError(f"{where}.from: '{rule_id}' is not an event rule{did_you_mean(rule_id, event_rules)}"
                                   "; the SLA clock starts at the lead's most recent event of these rules",
                                   r.pos("from"))
        out.append(Sla(key, float(hours), procedure.strip(), start, kpos))  # type: ignore[arg-type]
    return tuple(out)


def _nurture(value: Any, pos: Position, tiers: tuple[str, ...]) -> Nurture:
    r = _reader(value, "nurture", pos)
    r.check_keys({"tiers", "tracks"}, {"tracks"})
    if "tiers" in r.data:
        names = _text_list(r.get("tiers"), "nurture.tiers", r.pos("tiers"))
        for name in names:
            if name not in tiers:
                raise RulesetError(f"nurture.tiers: unknown tier '{name}'{did_you_mean(name, tiers)}; "
                                   f"{one_of(tiers)}", r.pos("tiers"))
    else:
        names = tuple(t for t in tiers if t == "nurture")
        if not names:
            raise RulesetError("nurture: the ruleset has no tier named 'nurture'; list the nurtured tiers "
                               f"under 'tiers' ({one_of(tiers)})", pos)
    tracks: list[NurtureTrack] = []
    seq = as_sequence(r.get("tracks"), "nurture.tracks", r.pos("tracks"))
    for item, ipos in zip(seq, seq.item_pos):
        tr = _reader(item, "nurture track", ipos)
        tid = tr.get("id")
        where = f"nurture track '{tid}'" if isinstance(tid, str) else "nurture track"
        tr.where = where
        tr.check_keys({"id", "label", "when", "otherwise", "recheck_days"}, {"id", "recheck_days"})
        tid = check_id(tid, where, tr.pos("id"))
        if any(t.id == tid for t in tracks):
            raise RulesetError(f"{where}: track id '{tid}' is used twice", ipos)
        days = _at_most(tr.number("recheck_days", positive=True), MAX_RECHECK_DAYS, "days", where,  # type: ignore[arg-type]
                        "recheck_days", tr.pos("recheck_days"))
        tracks.append(NurtureTrack(tid, tr.text("label") or tid.replace("_", " "), _when_or_otherwise(tr, where, ipos),
                                   float(days), ipos))
    if not tracks:
        raise RulesetError("nurture.tracks: give at least one track", r.pos("tracks"))
    _check_unreachable(tracks, "nurture.tracks")
    return Nurture(names, tuple(tracks), pos)


def _accounts(value: Any, pos: Position, ruleset_parts: dict) -> Accounts:
    from leadq.ruleset_loader import _tiers

    r = _reader(value, "accounts", pos)
    r.check_keys({"key", "fit_rules", "contact_intent_cap", "engaged", "intent_from", "roles", "tiers"}, {"tiers"})
    key = _text_list(r.get("key", "account_id") if "key" in r.data else "account_id", "accounts.key", r.pos("key"))
    columns, activity = ruleset_parts["columns"], ruleset_parts["activity_columns"]
    for k in key:
        if k not in ACCOUNT_KEYS:
            raise RulesetError(f"accounts.key: unknown key '{k}'{did_you_mean(k, ACCOUNT_KEYS)}; "
                               f"{one_of(ACCOUNT_KEYS)}", r.pos("key"))
        needed = {"email_domain": "email"}.get(k, k)
        if k == "workspace_id":  # the contact's own workspace, else that of its latest event (leadq.accounts)
            if k not in columns and k not in activity:
                raise RulesetError("accounts.key: 'workspace_id' needs 'workspace_id' mapped under 'columns' (the "
                                   "contact's workspace) or 'activity_columns' (that of its latest event)",
                                   r.pos("key"))
        elif needed not in columns:
            raise RulesetError(f"accounts.key: '{k}' needs '{needed}' mapped under 'columns'", r.pos("key"))
    fit_rules = _text_list(r.get("fit_rules"), "accounts.fit_rules", r.pos("fit_rules")) \
        if "fit_rules" in r.data else ()
    fit_ids = ruleset_parts["fit_rule_ids"]
    for rid in fit_rules:
        if rid not in fit_ids:
            raise RulesetError(f"accounts.fit_rules: '{rid}' is not a fit rule{did_you_mean(rid, fit_ids)}",
                               r.pos("fit_rules"))
    roles = _named_conditions(r.get("roles"), "accounts.roles", r.pos("roles"), allow_otherwise=False) \
        if "roles" in r.data else ()
    tiers = tuple(_tiers(r.get("tiers"), r.pos("tiers")))
    intent_from = _choice(r, "intent_from", INTENT_FROM, "accounts") if "intent_from" in r.data else "all"
    return Accounts(key, fit_rules, r.number("contact_intent_cap", None, positive=True), r.condition("engaged"),
                    roles, tiers, pos, intent_from)


def _title_map(value: Any, pos: Position):
    from leadq.titles import DEFAULT_TITLE_MAP, merge_title_maps, title_map_from_dict

    try:
        override = title_map_from_dict(value)
    except ValueError as exc:
        # Messages start with "titles.<section>.<value>: ..."; point at that entry when we can.
        message = str(exc)
        where = pos
        path = message.split(":", 1)[0].split(".")[1:]
        node = value
        for part in path:
            if isinstance(node, YMap) and part in node:
                where = node.value_pos.get(part, where)
                node = node[part]
            else:
                break
        raise RulesetError(message if message.startswith("titles") else f"titles: {message}", where) from None
    return merge_title_maps(DEFAULT_TITLE_MAP, override)


def parse_action_sections(sections: dict[str, Any], positions: dict[str, Position], parts: dict) -> ActionSections:
    """Parse the raw ``routing``, ``sla``, ``nurture``, ``accounts`` and ``titles`` sections.

    Args:
        sections: raw section values (``Ruleset.sections``).
        positions: where each section starts.
        parts: what the checks need from the rest of the ruleset: ``tiers`` (names),
            ``event_rule_ids``, ``fit_rule_ids``, ``lists``, ``columns``, ``activity_columns``.

    Raises:
        RulesetError: with the position of the first problem.
    """
    routing = _routing(sections["routing"], positions["routing"], parts["lists"]) if "routing" in sections else None
    routes = routing.routes if routing else ()
    sla = (_sla(sections["sla"], positions["sla"], parts["tiers"], routes, parts["event_rule_ids"])
           if "sla" in sections else ())
    nurture = _nurture(sections["nurture"], positions["nurture"], parts["tiers"]) if "nurture" in sections else None
    accounts = _accounts(sections["accounts"], positions["accounts"], parts) if "accounts" in sections else None
    by_account = next((rule for rule in (routing.rules if routing else ()) if rule.assign == "account"), None)
    if by_account is not None and accounts is None:
        raise RulesetError(f"routing: route '{by_account.route}': assign: account rotates owners over the accounts "
                           "of the 'accounts' section, which this ruleset does not have; add one (key, tiers) or "
                           "use assign: lead", by_account.pos)
    title_map = _title_map(sections["titles"], positions["titles"]) if "titles" in sections else None
    return ActionSections(routing, sla, nurture, accounts, title_map)
