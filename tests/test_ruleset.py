"""Ruleset loading and validation: every error names file, line, column and what is allowed."""

from __future__ import annotations

import textwrap

import pytest

from leadq.errors import RulesetError
from leadq.ruleset_files import builtin_ruleset_names
from leadq.ruleset_loader import load_ruleset
from tests.conftest import RULESETS, run_cli

BASE = textwrap.dedent("""\
    version: 1
    columns:
      lead_id: Id
      job_title: Title
      company_size: Employees
      email: Email
    activity_columns:
      lead_id: Id
      event_type: Type
      occurred_at: At
    fit:
      - id: director
        when: job_title matches "director"
        points: 10
    intent:
      - id: demo
        event: demo_request
        points: 20
    disqualifiers:
      - code: tiny
        category: bad_fit
        when: company_size < 5
    tiers:
      - name: hot
        when: total >= 20
      - name: rest
        otherwise: true
""")


def _load(tmp_path, text):
    path = tmp_path / "rs.yaml"
    path.write_text(text)
    return load_ruleset(str(path)), path


def _error(tmp_path, old, new):
    text = BASE.replace(old, new)
    assert text != BASE, f"replacement {old!r} not found"
    with pytest.raises(RulesetError) as info:
        _load(tmp_path, text)
    return str(info.value)


def test_base_loads(tmp_path):
    rs, _ = _load(tmp_path, BASE)
    assert [r.id for r in rs.rules] == ["director", "demo"]
    assert rs.grade_letters == ("A", "B", "C", "D")
    assert rs.tier_names == ("hot", "rest")


CASES = [
    ("unknown top-level key", "fit:\n", "fitt: []\nfit:\n", ":11:1: ruleset: unknown key 'fitt'; did you mean 'fit'?"),
    ("unknown rule key", "    points: 10", "    points: 10\n    pionts: 3",
     ":15:5: fit rule 'director': unknown key 'pionts'; did you mean 'points'?"),
    ("points not a number", "points: 10", "points: ten", ":14:13: fit rule 'director': 'points' must be a number, got 'ten'"),
    ("bad regex", 'matches "director"', 'matches "direc(tor"', "fit rule 'director': regex 'direc(tor': invalid"),
    ("lookaround", 'matches "director"', 'matches "(?<!co-)director"', ":13:29: fit rule 'director': regex"),
    ("unknown field", "when: job_title matches", "when: job_tittle matches",
     ":13:11: fit rule 'director': unknown field 'job_tittle'; did you mean 'job_title'?"),
    ("type mismatch", "company_size < 5", 'company_size < "five"', "cannot compare number with text"),
    ("unknown operator word", "company_size < 5", "company_size gte 5", "unexpected 'gte'"),
    ("unknown function", "total >= 20", "totl(x) >= 20", "unknown function 'totl'"),
    ("unknown list", "company_size < 5", "job_title in @competitors", "unknown list '@competitors'"),
    ("bad category", "category: bad_fit", "category: bad_fitt",
     "disqualifier 'tiny': unknown category 'bad_fitt'; did you mean 'bad_fit'?"),
    ("duplicate rule id", "id: demo", "id: director", "rule id 'director' is used twice"),
    ("unreachable tier", "  - name: hot\n    when: total >= 20\n",
     "  - name: all\n    otherwise: true\n  - name: hot\n    when: total >= 20\n",
     "tier 'hot' can never be reached: tier 'all' above it matches every lead"),
    ("same condition twice", "  - name: rest\n", "  - name: hot2\n    when: total >= 20\n  - name: rest\n",
     "tier 'hot2' can never be reached: tier 'hot' above it has the same condition"),
    ("no catch-all", "  - name: rest\n    otherwise: true\n", "  - name: rest\n    when: fit > 0\n",
     "the last tier must be 'otherwise: true'"),
    ("tier id not snake_case", "name: hot", "name: Hot Leads", "must be snake_case"),
    ("unknown column type", "  email: Email\n", "  email: Email\n  score: {column: Score, type: integer}\n",
     "columns.score: unknown type 'integer'; expected one of: boolean, datetime, number, text"),
    ("event rule without activity mapping", "activity_columns:\n  lead_id: Id\n  event_type: Type\n  occurred_at: At\n",
     "", "activity_columns: event rules need lead_id, event_type, occurred_at mapped"),
    ("negative with positive points", "intent:\n", "negative:\n  - id: neg\n    when: company_size < 3\n    points: 5\nintent:\n",
     "negative rules take points below 0"),
    ("yaml syntax", "    points: 20", "    points: [20", "YAML syntax error"),
    ("tab indentation", "    points: 20", "\tpoints: 20",
     "YAML indents with spaces, never tabs: replace the tabs with spaces"),
    ("alias", "    points: 10", "    points: &p 10\n    label: *p", "YAML aliases ('*name') are not allowed"),
    ("python tag", "    points: 10", "    points: !!python/object:os.system 10", "YAML"),
    ("duplicate key", "    points: 20", "    points: 20\n    points: 30", "duplicate key 'points'"),
    ("grade order", "tiers:", "grades:\n  A: 10\n  B: 20\n  C: otherwise\ntiers:", "grades.B: minimum fit 20 must be below"),
    ("has_reason unknown code", "total >= 20", 'has_reason("tinyy")', "unknown disqualifier code 'tinyy'"),
    ("count on a contact rule", "total >= 20", "count(director) > 1", "'director' is not an event rule"),
    ("rule used as a field", "total >= 20", "demo > 1", "'demo' is a rule; use fired(demo)"),
    ("bad date order", "tiers:", "settings:\n  date_order: dmy\ntiers:", "unknown date_order 'dmy'"),
    ("bad timezone", "tiers:", "settings:\n  timezone: Mars/Base\ntiers:", "unknown time zone 'Mars/Base'"),
    ("empty condition", 'when: job_title matches "director"', 'when: ""', "condition is empty"),
    # Non-finite numbers would score NaN or inf (a NaN total passed 'total >= 20').
    ("nan points", "points: 10", "points: .nan", ":14:13: fit rule 'director': 'points' must be a finite number, got .nan"),
    ("inf points", "points: 10", "points: -.inf",
     ":14:13: fit rule 'director': 'points' must be a finite number (at most about 1.8e308 either way), got -.inf"),
    ("inf cap", "    points: 20", "    points: 20\n    cap: .inf", ":19:10: intent rule 'demo': 'cap' must be a finite number"),
    ("nan half-life", "tiers:", "settings:\n  half_life_days: .NaN\ntiers:",
     ":24:19: settings: 'half_life_days' must be a finite number, got .NaN"),
    ("nan grade", "tiers:", "grades:\n  A: .nan\n  B: otherwise\ntiers:", ":24:6: grades: 'A' must be a finite number"),
    ("exponent too large", "points: 10", "points: 1e999", ":14:13: fit rule 'director': 'points' must be a finite number (at most"),
    ("whole number too large", "points: 10", "points: 1" + "0" * 400,
     ":14:13: fit rule 'director': 'points' must be a finite number (at most about 1.8e308 either way), got 10000000000000000000..."),
    ("inf in a condition", "total >= 20", "total >= 1e999",
     "tier 'hot': number 1e999 is too large: it must be a finite number (at most about 1.8e308)"),
    # A name leadq knows that this place of this ruleset cannot see: say what it is and what to do.
    ("unmapped field", 'job_title matches "director"', 'region = "x"',
     ":13:11: fit rule 'director': 'region' is a leadq field that this ruleset does not map: map it under "
     "columns: to the CRM column that holds it"),
    ("unmapped field, misspelt", 'job_title matches "director"', 'regoin = "x"',
     ":13:11: fit rule 'director': unknown field 'regoin'; did you mean 'region'?"),
    ("unmapped date in days_since", "total >= 20", "days_since(created_at) > 3",
     ":25:22: tier 'hot': days_since(): 'created_at' is a leadq field that this ruleset does not map: map it "
     "under columns: to the CRM column that holds it"),
    ("misspelt date in days_since", "total >= 20", "days_since(created) > 3",
     ":25:22: tier 'hot': days_since(): unknown rule or date field 'created'; did you mean 'created_at'?"),
    ("activity field in a contact rule", 'job_title matches "director"', 'url contains "x"',
     ":13:11: fit rule 'director': 'url' is an activity field: only an event rule's where: sees it "
     "(event: page_view, where: url = \"...\"), once it is mapped under activity_columns:"),
    ("unmapped activity field in where", "event: demo_request", 'event: demo_request\n    where: campaign = "x"',
     ":18:12: intent rule 'demo': 'campaign' is an activity field that this ruleset does not map: map it under "
     "activity_columns: to the activity log's column that holds it"),
    ("contact field in where", "event: demo_request", 'event: demo_request\n    where: job_title = "x"',
     ":18:12: intent rule 'demo': 'job_title' is a contact field, and where: sees only the event's fields "
     "(event_type, lead_id, occurred_at); test the contact in a contact rule's when:, or in a tier with fired(rule)"),
    # A scoring rule cannot read rules, scores or verdicts: it said "unknown rule or date field".
    ("rule in a fit rule's days_since", 'job_title matches "director"', "days_since(demo) < 3",
     ":13:22: fit rule 'director': days_since(): 'demo' is a rule, and a scoring rule cannot read other rules "
     "(days_since() takes a date field here); test fired(demo), points(demo), count(demo) or days_since(demo) "
     "in a disqualifier or a tier"),
    ("score in a fit rule", 'job_title matches "director"', "intent > 3",
     ":13:11: fit rule 'director': 'intent' is a score, which scoring rules add up and cannot read; test it in a "
     "disqualifier or a tier"),
    ("verdict in a fit rule", 'job_title matches "director"', "bad_fit",
     ":13:11: fit rule 'director': 'bad_fit' is a verdict of the disqualifiers; only a tier can test it"),
    # The tier is decided last: a rule or a tier reading it said only "unknown field 'tier'".
    ("tier in a fit rule", 'job_title matches "director"', 'tier = "hot"',
     ":13:11: fit rule 'director': 'tier' is decided from the scores that scoring rules add up, so a scoring rule "
     "cannot read it; routing, sla and nurture read the tier"),
    ("tier in a tier", "total >= 20", 'tier = "hot"',
     ":25:11: tier 'hot': 'tier' is decided last, from the scores and the disqualifiers' verdicts, so tier 'hot' "
     "cannot read it; test what puts a lead in that tier instead (fit, intent, total, grade, fired(rule), "
     "disqualified ...); routing, sla and nurture read the tier"),
    ("misspelt field in where", "event: demo_request", 'event: demo_request\n    where: event_typ = "x"',
     ":18:12: intent rule 'demo': unknown field 'event_typ'; did you mean 'event_type'?"),
    ("quoted exponent is text", "points: 10", 'points: "1e3"', "'points' must be a number, got '1e3'"),
    # Finite, but its explanation's rounding overflowed (exit 70): far beyond any real score.
    ("huge points", "points: 10", "points: 1.0e308",
     ":14:13: fit rule 'director': 'points' must be at most 1,000,000,000 either way, got 1e+308"),
    ("huge cap", "    points: 20", "    points: 20\n    cap: 2e9", "'cap' must be at most 1,000,000,000"),
]


@pytest.mark.parametrize("old,new,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validation_errors(tmp_path, old, new, message):
    text = _error(tmp_path, old, new)
    assert message in text
    assert text.startswith(str(tmp_path / "rs.yaml"))


def test_numbers_in_exponent_form_are_numbers(tmp_path):
    # YAML 1.1 reads an exponent without a dot and a sign as text; leadq reads it as YAML 1.2 does.
    text = BASE.replace("points: 10", "points: 1e3").replace("points: 20", "points: 2.5E+1")
    text = text.replace("tiers:", "settings:\n  half_life_days: 1e-300\n  lookback_days: 1.8e2\ntiers:")
    rs, _ = _load(tmp_path, text)
    assert [r.points for r in rs.rules] == [1000.0, 25.0]
    assert (rs.settings.half_life_days, rs.settings.lookback_days) == (1e-300, 180.0)


def test_a_field_derived_from_an_unmapped_one_names_what_to_map(tmp_path):
    text = BASE.replace("  email: Email\n", "").replace('job_title matches "director"', 'email_domain = "x"')
    with pytest.raises(RulesetError) as info:
        _load(tmp_path, text)
    assert str(info.value).endswith(":12:11: fit rule 'director': 'email_domain' is derived from email, which this "
                                    "ruleset does not map: map email under columns:")


def test_the_tab_hint_is_only_for_tabs(tmp_path):
    assert "tabs" not in _error(tmp_path, "    points: 20", "    points: [20")
    # A tab inside a quoted value is text, not indentation.
    assert "tabs" not in _error(tmp_path, "    points: 20", '    label: "a\tb"\n    points: [20')


# The YAML mistakes people make while editing a ruleset: each says what to do, at the line to fix.
YAML_MISTAKES = [
    ("no space after the colon", "    points: 10", "    points:10",
     ":14:5: YAML syntax error: could not find expected ':'; a key needs a colon and a space before its value "
     "('points: 10', not 'points:10')"),
    ("key indented too far", "    points: 10", "      points: 10",
     ":14:13: YAML syntax error: mapping values are not allowed in this context; a ': ' where no key can start: "
     "line this key up with the keys above it, or, when the value holds ': ' (a condition, a label), put the "
     "whole value in single quotes"),
    ("value holding a colon and a space", 'when: job_title matches "director"', 'when: job_title = "Head: Sales"',
     ":13:28: YAML syntax error: mapping values are not allowed in this context; a ': ' where no key can start"),
    ("key indented too little", "    points: 10", "   points: 10",
     ":14:4: YAML syntax error: did not find expected '-' indicator; this line is not indented like the list "
     "items around it: line it up with the keys of its item, or start a new item with '- ' (a dash and a space)"),
    ("condition starting with a quoted text", 'when: job_title matches "director"', 'when: "director" = job_title',
     ":13:22: YAML syntax error: did not find expected key; this line does not line up with the keys above it, "
     "or a value that starts with a quote goes on after the closing quote (put the whole value in single quotes)"),
    # An open quote runs on to the next quote of the file; PyYAML reported it there, lines below.
    ("unclosed quote, a quote further down", 'when: job_title matches "director"',
     'when: "job_title = director\n    label: "Director"',
     ":13:11: YAML syntax error: did not find expected key; the quoted text that starts here is not closed on "
     "its line and runs on to line 14: add the closing quote"),
    ("unclosed quote, no quote further down", "    points: 20", '    label: "demo\n    points: 20',
     ":18:12: YAML syntax error: found unexpected end of stream; a quoted text starts here and is never closed: "
     "add the closing quote"),
    # Inside double quotes YAML reads a regex's backslashes as escapes: \d is an error, \b a backspace.
    ("regex escape in double quotes", 'when: job_title matches "director"', 'when: "job_title matches \'\\d+\'"',
     ":13:31: YAML syntax error: found unknown escape character; inside double quotes YAML reads a backslash as an "
     "escape (\\d, \\w): put the whole value in single quotes or leave it unquoted (when: 'job_title matches \"\\d+\"')"),
    ("unclosed bracket", "    points: 20", "    points: [20",
     ":18:13: YAML syntax error: did not find expected ',' or ']'; the list or mapping opened here is not "
     "closed: add ']' after its last item, and quote an item that holds ': ', '#' or a bracket"),
]


def test_a_regex_whose_backslash_yaml_made_a_backspace_is_refused(tmp_path):
    # "\b" in YAML double quotes is a backspace: the regex matched no title, and validate said nothing.
    text = _error(tmp_path, 'when: job_title matches "director"', 'when: "job_title matches \'\\bcto\\b\'"')
    assert text == (f"{tmp_path / 'rs.yaml'}:13:31: fit rule 'director': control character '\\x08' at column 20, "
                    "which YAML makes of \"\\b\" inside double quotes: put the whole condition in single quotes or "
                    "leave it unquoted (when: 'job_title matches \"\\bcto\\b\"'), so that its backslashes reach the regex")


@pytest.mark.parametrize("old,new,message", [c[1:] for c in YAML_MISTAKES], ids=[c[0] for c in YAML_MISTAKES])
def test_yaml_mistakes_say_what_to_do_where(tmp_path, old, new, message):
    text = _error(tmp_path, old, new)
    assert text.startswith(str(tmp_path / "rs.yaml") + message), text


def test_cli_reports_ruleset_errors_with_exit_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace("when: job_title matches", "when: job_tittle matches"))
    contacts = tmp_path / "c.csv"
    contacts.write_text("Id,Title,Employees,Email\n1,Director,10,a@b.co\n")
    result = run_cli(["score", contacts, "-r", path, "-o", tmp_path / "o.csv"], exit_code=2)
    assert result.stderr.startswith(f"leadq: error: {path}:13:11: fit rule 'director': unknown field 'job_tittle'")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_a_long_arithmetic_chain_is_a_ruleset_error_on_every_command(tmp_path):
    # 500 terms: 2,000 characters, under the length limit, but 499 levels deep.
    chain = "company_size" + " + 1" * 499 + " > 1"
    path = tmp_path / "deep.yaml"
    path.write_text(BASE.replace('job_title matches "director"', chain))
    contacts = tmp_path / "c.csv"
    contacts.write_text("Id,Title,Employees,Email\n1,Director,10,a@b.co\n")
    message = "fit rule 'director': condition nests deeper than 64 levels"
    assert f"{path}:13:11: error: {message}" in run_cli(["validate", path], exit_code=2).stdout
    for args in (["score", contacts, "-r", path, "-o", tmp_path / "o.csv"],
                 ["sql", "-r", path], ["explain", "1", contacts, "-r", path]):
        assert run_cli(args, exit_code=2).stderr.startswith(f"leadq: error: {path}:13:11: {message}"), args
    assert not (tmp_path / "o.csv").exists()


def test_missing_ruleset_file(tmp_path):
    result = run_cli(["score", tmp_path / "c.csv", "-r", tmp_path / "nope.yaml"], exit_code=2)
    assert "nope.yaml: ruleset file not found" in result.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_ruleset_saved_as_utf_16_or_with_a_bom_loads(tmp_path, encoding):
    # Windows' Notepad saves "Unicode" as UTF-16 with a byte-order mark, which YAML admits.
    text = (RULESETS / "worked_example.yaml").read_text(encoding="utf-8").replace("Director title", "Directrice é")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "r.yaml").write_bytes(data)
    assert load_ruleset(str(tmp_path / "r.yaml")).rule("director_title").label == "Directrice é"


def test_a_ruleset_in_another_encoding_is_named_by_line(tmp_path):
    text = (RULESETS / "worked_example.yaml").read_text(encoding="utf-8").replace("Director title", "Directeur é")
    (tmp_path / "r.yaml").write_bytes(text.encode("cp1252"))
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(tmp_path / "r.yaml"))
    line = text.splitlines().index("    label: Directeur é") + 1
    assert str(info.value).startswith(f"{tmp_path / 'r.yaml'}:{line}: ruleset is not UTF-8 text (byte ")
    assert str(info.value).endswith(": b'\\xe9', perhaps Windows-1252 or Latin-1); save it as UTF-8")


def test_size_limit(tmp_path):
    with pytest.raises(RulesetError, match="larger than"):
        _load(tmp_path, BASE + "#" * 1_100_000)


def test_every_shipped_ruleset_loads():
    for path in sorted(RULESETS.glob("*.yaml")):
        load_ruleset(str(path))
    assert {"b2b_saas", "worked_example", "salesforce_b2b_saas"} <= set(builtin_ruleset_names())


def test_default_ruleset_is_embedded():
    rs = load_ruleset(None)
    assert rs.name == "B2B SaaS (sales-led)"
    assert "personal_email_domains" in rs.lists and "gmail.com" in rs.lists["personal_email_domains"]


def test_extends_merges_columns(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(f"version: 1\nextends: {RULESETS / 'b2b_saas.yaml'}\ncolumns:\n  job_title: Title\n")
    rs = load_ruleset(str(child))
    assert rs.columns["job_title"].column == "Title"
    assert rs.columns["email"].column == "Email"
    assert len(rs.rules) == len(load_ruleset(None).rules)


def test_an_inherited_section_that_names_replaced_rules_says_what_to_do_and_null_leaves_it_out(tmp_path):
    """A child that replaces fit: inherits accounts: naming the parent's fit rules; the error sits in the parent."""
    parent = tmp_path / "parent.yaml"
    parent.write_text((RULESETS / "b2b_saas.yaml").read_text())
    line = next(i for i, text in enumerate(parent.read_text().splitlines(), 1) if text.startswith("  fit_rules:"))
    child = tmp_path / "child.yaml"
    child.write_text("version: 1\nextends: parent.yaml\nfit:\n"
                     "  - {id: mid_market_size, when: company_size between 200 and 5000, points: 15}\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert str(info.value) == (
        f"{parent}:{line}:14: accounts.fit_rules: 'smb_size' is not a fit rule; the 'accounts' section comes from "
        "parent.yaml through extends, and reads this ruleset's rules and tiers: write your own 'accounts:' section "
        "in child.yaml, or 'accounts: null' there to leave it out")
    child.write_text(child.read_text() + "accounts: null\nrouting: null\nsla: null\n")  # routing reads accounts
    rs = load_ruleset(str(child))
    assert "accounts" not in rs.sections and (rs.actions.accounts, rs.actions.routing, rs.actions.sla) == (None, None, ())
    assert rs.actions.nurture is not None  # the sections not set to null are still the parent's
    assert [r.id for r in rs.rules if r.section == "fit"] == ["mid_market_size"]
    # The tiers cannot be left out, only replaced.
    child.write_text("version: 1\nextends: parent.yaml\nintent:\n  - {id: pricing, event: page_view, points: 5, cap: 10}\n"
                     "routing: null\nsla: null\naccounts: null\nnurture: null\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert str(info.value).endswith("the 'tiers' section comes from parent.yaml through extends, and reads this "
                                    "ruleset's rules and tiers: write your own 'tiers:' section in child.yaml")
    # An error in the child's own file, or in a section both merge, gets no such advice.
    child.write_text("version: 1\nextends: parent.yaml\nsettings: {timezone: Mars/Base}\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert "extends" not in str(info.value)


@pytest.mark.parametrize("base,close", [("b2b-saas", "b2b_saas"), ("B2B_SaaS.yaml", "b2b_saas"),
                                        ("product-led.yml", "product_led")])
def test_extends_of_a_built_in_spelt_like_its_template_offers_the_built_in(tmp_path, base, close):
    # `leadq init --template b2b-saas` spells it with a dash; the built-in ruleset is b2b_saas.
    path = tmp_path / "r.yaml"
    path.write_text(f"version: 1\nextends: {base}\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(path))
    assert str(info.value) == (f"{path}:2:10: extends: cannot find '{base}' next to this file or among the built-in "
                               f"rulesets (b2b_saas, product_led, salesforce_b2b_saas, worked_example); did you mean "
                               f"'{close}'?")


def test_an_extends_chain_too_long_or_closed_names_its_files_and_the_line_that_does_it(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: B\nextends: a.yaml\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(tmp_path / "a.yaml"))
    assert str(info.value) == (f"{tmp_path / 'b.yaml'}:2:10: extends: the rulesets extend each other in a cycle "
                               "(a.yaml -> b.yaml -> a.yaml); remove one of these extends")
    (tmp_path / "c0.yaml").write_text((RULESETS / "worked_example.yaml").read_text())
    for i in range(1, 7):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i - 1}.yaml\n")
    load_ruleset(str(tmp_path / "c5.yaml"))  # 5 levels: the limit
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(tmp_path / "c6.yaml"))
    assert str(info.value).startswith(f"{tmp_path / 'c1.yaml'}:1:10: extends: more than 5 levels deep (c6.yaml -> "
                                      "c5.yaml -> c4.yaml -> c3.yaml -> c2.yaml -> c1.yaml -> c0.yaml)")


def test_a_value_that_looks_like_a_date_but_is_none_is_read_as_text_not_a_crash(tmp_path):
    # YAML's own date constructor raised on 2026-02-30 (exit 70); leadq reads dates itself.
    path = tmp_path / "r.yaml"
    path.write_text("extends: worked_example.yaml\nname: 2026-02-30\nsettings: {timezone: 2026-13-01}\n")
    (tmp_path / "worked_example.yaml").write_text((RULESETS / "worked_example.yaml").read_text())
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(path))
    assert str(info.value).startswith(f"{path}:3:22: settings: unknown time zone '2026-13-01'")
    path.write_text("extends: worked_example.yaml\nname: 2026-02-30\n")
    assert load_ruleset(str(path)).name == "2026-02-30"
    cases = tmp_path / "cases.yaml"
    cases.write_text("as_of: 2026-13-01\ncases:\n  - {name: x, lead: {}, expect: {tier: nurture}}\n")
    result = run_cli(["test", path, cases], exit_code=2)
    assert f"{cases}:1:8: as_of: cannot read '2026-13-01' as a date" in result.stderr


# A non-finite number is refused as YAML is read; the message names the rule, setting or list it sits in,
# as every other message of the loader does (it said only "'points' must be a finite number").
@pytest.mark.parametrize("replacements, message", [
    ([("    points: 10", "    points: .inf")],
     ":14:13: fit rule 'director': 'points' must be a finite number (at most about 1.8e308 either way), got .inf"),
    ([("  - id: director\n", "  - when: fit > 0\n"), ('    when: job_title matches "director"\n', ""),
      ("    points: 10\n", "    points: .nan\n    id: director\n")],
     ":13:13: fit rule 'director': 'points' must be a finite number, got .nan"),  # the id after the points
    ([("  - id: director\n", "  - label: no id\n"), ("    points: 10", "    points: .inf")],
     ":14:13: fit rule 1: 'points' must be a finite number (at most about 1.8e308 either way), got .inf"),
    ([("    points: 20", "    points: 20\n    half_life_days: -.Inf")],
     ":19:21: intent rule 'demo': 'half_life_days' must be a finite number (at most about 1.8e308 either way), "
     "got -.Inf"),
    ([("    points: 20", "    points: 20\n    within_days: .nan")],
     ":19:18: intent rule 'demo': 'within_days' must be a finite number, got .nan"),
    ([("tiers:", "groups:\n  research: {cap: .inf}\ntiers:")],
     ":24:19: groups.research: 'cap' must be a finite number (at most about 1.8e308 either way), got .inf"),
    ([("tiers:", "lists:\n  sizes: [10, .inf]\ntiers:")],
     ":24:15: lists.sizes: item 2 must be a finite number (at most about 1.8e308 either way), got .inf"),
    ([("tiers:", "settings:\n  lookback_days: .inf\ntiers:")],
     ":24:18: settings: 'lookback_days' must be a finite number (at most about 1.8e308 either way), got .inf"),
    ([("tiers:", "grades:\n  A: .inf\n  B: otherwise\ntiers:")],
     ":24:6: grades: 'A' must be a finite number (at most about 1.8e308 either way), got .inf"),
    ([("version: 1", "version: .nan")], ":1:10: 'version' must be a finite number, got .nan"),
])
def test_a_non_finite_number_names_its_section_and_rule(tmp_path, replacements, message):
    text = BASE
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    with pytest.raises(RulesetError) as info:
        _load(tmp_path, text)
    assert str(info.value) == f"{tmp_path / 'rs.yaml'}{message}"


def test_validate_names_the_rule_of_an_infinite_cap(tmp_path):
    path = tmp_path / "rs.yaml"
    path.write_text(BASE.replace("    points: 20", "    points: 20\n    cap: .inf"))
    result = run_cli(["validate", path], exit_code=2)
    assert result.stdout == (f"{path}:19:10: error: intent rule 'demo': 'cap' must be a finite number (at most about "
                             f"1.8e308 either way), got .inf [load-error]\n{path}: 1 error\n")


def test_a_condition_error_gives_the_files_column_only_where_it_is_exact(tmp_path):
    # Unquoted: the file's column names the character, so the message gives no second column number.
    text = _error(tmp_path, 'when: job_title matches "director"', 'when: job_title = "a" and and job_title = "b"')
    assert text == f"{tmp_path / 'rs.yaml'}:13:31: fit rule 'director': unexpected 'and'"
    # Escapes in double quotes put the file's column off (32 for 34): the condition's column stays.
    text = _error(tmp_path, 'when: job_title matches "director"', 'when: "job_title = \\"a\\" and and job_title = 1"')
    assert text == f"{tmp_path / 'rs.yaml'}:13:32: fit rule 'director': unexpected 'and' at column 21"


def test_whole_numbers_in_event_are_event_types_as_text(tmp_path):
    # Marketo's activity type ids, written unquoted as a `leadq test` case writes `type: 1`.
    rs, _ = _load(tmp_path, BASE.replace("event: demo_request", "event: 1"))
    assert rs.rule("demo").events == ("1",)
    rs, _ = _load(tmp_path, BASE.replace("event: demo_request", 'event: [1, "2", page_view]'))
    assert rs.rule("demo").events == ("1", "2", "page_view")


def test_yaml_1_1_octal_and_base_60_numbers_are_read_as_yaml_1_2_reads_them(tmp_path):
    # YAML 1.1 (PyYAML) reads 010 as 8 and 1:30 as 90; an event type keeps its leading zero.
    rs, _ = _load(tmp_path, BASE.replace("points: 10", "points: 010").replace("event: demo_request", "event: [010, 7]"))
    assert rs.rules[0].points == 10.0
    assert rs.rule("demo").events == ("010", "7")
    rs, _ = _load(tmp_path, BASE.replace("event: demo_request", "event: 010"))
    assert rs.rule("demo").events == ("010",)
    assert "'points' must be a number, got '1:30'" in _error(tmp_path, "points: 10", "points: 1:30")


@pytest.mark.parametrize("event,message", [
    ("1.5", ":17:12: intent rule 'demo': 'event' is the number 1.5; write event types as text: quote it, \"1.5\""),
    ("[1, 2.5]", ":17:16: intent rule 'demo': 'event' item 2 is the number 2.5; write event types as text: quote it, "
                 "\"2.5\""),
    ("yes", ":17:12: intent rule 'demo': 'event' is the YAML boolean true (YAML reads yes, no, on, off, true and "
            "false unquoted as booleans); quote it as the activity log writes it, e.g. \"yes\""),
    ("[1, off]", ":17:16: intent rule 'demo': 'event' item 2 is the YAML boolean false (YAML reads yes, no, on, off, "
                 "true and false unquoted as booleans); quote it as the activity log writes it, e.g. \"no\""),
    ("{type: 1}", ":17:12: intent rule 'demo': 'event' is a mapping; give an event type (event: demo_request) or a "
                  "list of them (event: [1, 2])"),
    ("[[1, 2]]", ":17:13: intent rule 'demo': 'event' item 1 is a list inside the list; give one flat list of event "
                 "types (event: [1, 2])"),
    ("[]", ":17:12: intent rule 'demo': 'event' is an empty list; give at least one event type"),
    ("", ":17:11: intent rule 'demo': 'event' is empty (null); give an event type, as the activity log writes it"),
    ('" "', ":17:12: intent rule 'demo': 'event' is blank; give an event type, as the activity log writes it"),
])
def test_an_event_that_is_no_type_says_what_it_is_and_how_to_write_it(tmp_path, event, message):
    text = _error(tmp_path, "event: demo_request", f"event: {event}".rstrip())
    assert text == f"{tmp_path / 'rs.yaml'}{message}"


_PARENT = """\
version: 1
columns:
  lead_id: Id
  lead_status: Status
  job_title: Title
activity_columns:
  lead_id: Id
  event_type: Type
  occurred_at: At
  url: Url
fit:
  - id: open
    when: lead_status = "Open"
    points: 5
intent:
  - id: pricing
    event: page_view
    where: url contains "/pricing"
    points: 5
tiers:
  - {name: rest, otherwise: true}
"""


def _child(tmp_path, text):
    (tmp_path / "parent.yaml").write_text(_PARENT)
    child = tmp_path / "child.yaml"
    child.write_text("version: 1\nextends: parent.yaml\n" + text)
    return child


def test_a_child_unmaps_a_parents_column_with_null(tmp_path):
    child = _child(tmp_path, "columns:\n  lead_status: null\nfit:\n  - {id: vp, when: job_title = \"VP\", points: 5}\n"
                             "activity_columns:\n  url: ~\nintent:\n  - {id: demo, event: demo_request, points: 5}\n")
    rs = load_ruleset(str(child))
    assert sorted(rs.columns) == ["job_title", "lead_id"]
    assert sorted(rs.activity_columns) == ["event_type", "lead_id", "occurred_at"]
    assert {s: {f: (p.path, p.line) for f, p in fields.items()} for s, fields in rs.unmapped.items()} == {
        "columns": {"lead_status": (str(child), 4)}, "activity_columns": {"url": (str(child), 8)}}


def test_a_rule_reading_a_field_the_child_unmapped_says_the_child_removed_it(tmp_path):
    child = _child(tmp_path, "columns:\n  lead_status: null\nfit:\n  - {id: lost, when: lead_status = Lost, points: 5}\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert str(info.value) == (
        f"{child}:6:22: fit rule 'lost': 'lead_status' is not mapped: child.yaml removes the parent's mapping "
        "(columns: lead_status: null, at line 4); map it there to a column, or test something else")
    # A parent's rule reading it: the error is in the parent's file, and says what to do in the child.
    child = _child(tmp_path, "activity_columns:\n  url: null\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert str(info.value) == (
        f"{tmp_path / 'parent.yaml'}:18:12: intent rule 'pricing': 'url' is not mapped: child.yaml removes the "
        "parent's mapping (activity_columns: url: null, at line 4); map it there to a column, or test something "
        "else; the 'intent' section comes from parent.yaml through extends, and reads this ruleset's rules and "
        "tiers: write your own 'intent:' section in child.yaml, or 'intent: null' there to leave it out")


def test_null_for_a_column_is_refused_without_extends_or_a_parent_mapping(tmp_path):
    text = _error(tmp_path, "  email: Email\n", "  email: Email\n  lead_status: null\n")
    assert text == (f"{tmp_path / 'rs.yaml'}:7:3: columns.lead_status: null removes a mapping only in a ruleset "
                    "that extends another; to leave 'lead_status' unmapped, leave the key out")
    child = _child(tmp_path, "columns:\n  lead_stauts: null\n")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert str(info.value) == (f"{child}:4:3: columns.lead_stauts: null removes the parent's mapping, but parent.yaml "
                               "maps no 'lead_stauts' under columns:; did you mean 'lead_status'?; leave the key out")
