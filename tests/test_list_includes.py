"""Ruleset lists that include other lists (``"@name"`` as an item), a built-in one above all.

``personal_email_domains: [mail.de]`` replaced the whole built-in list (gmx.de, orange.fr ... no longer
counted as personal) and ``"@personal_email_domains"`` in a list was kept as the text itself. An item
``"@name"`` now includes that list's items: every user of the list (conditions on the Polars and the
SQL engine, ``has @list``, the accounts key) sees the expanded list. A built-in list replaced without
including it still loads, and ``leadq validate`` warns.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import run_cli

from leadq.accounts import KEY_COLUMN, key_expr
from leadq.domain_lists import load_builtin_list
from leadq.errors import RulesetError
from leadq.lint import lint_ruleset
from leadq.ruleset_loader import load_ruleset

PERSONAL = load_builtin_list("personal_email_domains")


def _ruleset(tmp_path, lists: str, rules: str = "  - {id: anyone, when: 'true', points: 1}\n",
             columns: str = "{lead_id: id, email: email}", extra: str = "") -> str:
    """A ruleset file with the ``lists`` section given (YAML lines, indented by two); its path."""
    path = tmp_path / "ruleset.yaml"
    path.write_text(f"version: 1\ncolumns: {columns}\nlists:\n{lists}fit:\n{rules}"
                    f"tiers:\n  - {{name: all, otherwise: true}}\n{extra}")
    return str(path)


def test_a_list_that_names_its_built_in_list_adds_to_it(tmp_path):
    rs = load_ruleset(_ruleset(tmp_path, '  personal_email_domains: ["@personal_email_domains", mail.de, '
                                         "kundenpost.example]\n"))
    # mail.de is a built-in domain now: kept once, where the built-in list has it.
    assert "mail.de" in PERSONAL and "gmx.de" in PERSONAL
    assert rs.lists["personal_email_domains"] == PERSONAL + ("kundenpost.example",)
    assert rs.lists["disposable_email_domains"] == load_builtin_list("disposable_email_domains")


def test_a_list_includes_built_in_and_ruleset_lists_in_file_order(tmp_path):
    rs = load_ruleset(_ruleset(tmp_path, '  mine: [first.example, "@extra", "@personal_email_domains", gmx.de]\n'
                                         '  extra: ["@more", second.example]\n'
                                         "  more: [third.example, first.example]\n"))
    assert rs.lists["mine"] == ("first.example", "third.example", "second.example") + PERSONAL
    assert rs.lists["extra"] == ("third.example", "first.example", "second.example")
    assert list(rs.lists) == ["personal_email_domains", "disposable_email_domains", "mine", "extra", "more"]


def test_another_list_sees_the_built_in_list_as_the_ruleset_extends_it(tmp_path):
    rs = load_ruleset(_ruleset(tmp_path, '  personal_email_domains: ["@personal_email_domains", a.example]\n'
                                         '  free_or_new: ["@personal_email_domains", b.example]\n'))
    assert rs.lists["free_or_new"] == PERSONAL + ("a.example", "b.example")


def test_a_list_of_numbers_includes_another(tmp_path):
    rs = load_ruleset(_ruleset(tmp_path, '  small: [1, 2]\n  sizes: ["@small", 3, 2]\n'))
    assert rs.lists["sizes"] == (1, 2, 3)


@pytest.mark.parametrize("lists,where,message", [
    ('  mine: ["@personal_email_domain"]\n', "4:10",
     "lists.mine: unknown list '@personal_email_domain'; did you mean 'personal_email_domains'?; expected one "
     "of: disposable_email_domains, mine, personal_email_domains"),
    ('  mine: [a.example, "@gmail.com"]\n', "4:21",
     "lists.mine: unknown list '@gmail.com'; expected one of: disposable_email_domains, mine, "
     "personal_email_domains; an item starting with '@' includes the list of that name: write 'gmail.com' "
     "without the '@'"),
    ('  a: ["@b"]\n  b: [x, "@c"]\n  c: ["@a"]\n', "6:7",
     "lists.c: the lists include each other in a cycle (a -> b -> c -> a); remove one of these includes"),
    ('  a: [x, "@a"]\n', "4:10",
     "lists.a: '@a' includes the list in itself; only a built-in list (personal_email_domains, "
     "disposable_email_domains) may name itself, to add to its built-in items"),
    ('  personal_email_domains: ["@mine"]\n  mine: ["@personal_email_domains", mail.de]\n', "5:10",
     "lists.mine: the lists include each other in a cycle (personal_email_domains -> mine -> "
     "personal_email_domains); remove one of these includes; to add to the built-in personal_email_domains, "
     "write '@personal_email_domains' in lists.personal_email_domains itself"),
])
def test_bad_includes_are_ruleset_errors_with_their_position(tmp_path, lists, where, message):
    path = _ruleset(tmp_path, lists)
    with pytest.raises(RulesetError) as err:
        load_ruleset(path)
    assert str(err.value) == f"{path}:{where}: {message}"
    result = run_cli(["validate", path], exit_code=2)
    assert result.stdout.splitlines()[0] == f"{path}:{where}: error: {message} [load-error]"


SCORED_RULES = ("  - {id: base, when: 'true', points: 20}\n"
                "  - {id: personal, when: 'email_domain in @personal_email_domains', points: 5}\n"
                "  - {id: crm, when: 'technologies has @stack', points: 7}\n")
SCORED_LISTS = ('  personal_email_domains: ["@personal_email_domains", mail.de, kundenpost.example]\n'
                '  base_stack: [salesforce, hubspot]\n'
                '  stack: ["@base_stack", zoho]\n')


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_every_engine_scores_with_the_expanded_lists(tmp_path, engine):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
        pytest.importorskip("sqlglot")
    path = _ruleset(tmp_path, SCORED_LISTS, SCORED_RULES, "{lead_id: id, email: email, technologies: tech}")
    contacts = tmp_path / "c.parquet"
    pl.DataFrame({"id": ["1", "2", "3", "4", "5"],
                  "email": ["anna@gmx.de", "ben@mail.de", "cem@kundenpost.example", "dora@acme.com", "eve@orange.fr"],
                  "tech": ["Zoho; Slack", "HubSpot", None, "Pipedrive", "salesforce"]}).write_parquet(contacts)
    out = tmp_path / "scored.csv"
    run_cli(["score", contacts, "-r", path, "--engine", engine, "--as-of", "2026-11-01", "--out", out, "-q"])
    # base 20; personal +5 for gmx.de and orange.fr (built-in, still there), mail.de and kundenpost.example
    # (added); +7 for zoho (added to the stack) and hubspot, salesforce (included from base_stack).
    assert pl.read_csv(out).select("lead_id", "fit_score").sort("lead_id").rows() == [
        (1, 32.0), (2, 32.0), (3, 25.0), (4, 20.0), (5, 32.0)]


def test_the_accounts_key_skips_the_domains_a_ruleset_adds(tmp_path):
    path = _ruleset(tmp_path, '  personal_email_domains: ["@personal_email_domains", " Kundenpost.Example"]\n',
                    extra="accounts:\n  key: [email_domain]\n  tiers:\n    - {name: all, otherwise: true}\n")
    rs = load_ruleset(path)
    keys = pl.DataFrame({"email_domain": ["gmx.de", "kundenpost.example", "acme.com", "mailinator.com"]}).select(
        key_expr(rs))[KEY_COLUMN].to_list()
    assert keys == [None, None, "acme.com", None]


def test_validate_warns_when_a_built_in_list_is_replaced_and_says_how_to_add(tmp_path):
    path = _ruleset(tmp_path, "  personal_email_domains: [mail.de, vodafone.de]\n",
                    "  - {id: personal, when: 'email_domain in @personal_email_domains', points: 5}\n")
    result = run_cli(["validate", path])
    dropped = len(PERSONAL) - 2
    assert [line for line in result.stdout.splitlines() if "list" in line] == [
        f"{path}:4:3: warning: list 'personal_email_domains': replaces the built-in list of {len(PERSONAL):,} "
        f"domains: gmail.com, googlemail.com, yahoo.com and {dropped - 3:,} more no longer count; to add to the "
        'built-in list instead, include it: personal_email_domains: ["@personal_email_domains", mail.de, '
        "vodafone.de] [list-replaces-builtin]",
    ]
    run_cli(["validate", path, "--strict"], exit_code=1)


def test_validate_is_quiet_about_a_built_in_list_extended_or_included(tmp_path):
    path = _ruleset(tmp_path, '  personal_email_domains: ["@personal_email_domains", mail.de]\n'
                              '  base: [a.example]\n'
                              '  mine: ["@base", b.example]\n',
                    "  - {id: personal, when: 'email_domain in @personal_email_domains', points: 5}\n"
                    "  - {id: mine, when: 'email_domain in @mine', points: 5}\n")
    # `base` is used: `mine` includes it.
    assert [f.code for f in lint_ruleset(path).findings if "list" in f.code] == []


def test_a_built_in_list_the_accounts_key_reads_is_used(tmp_path):
    path = _ruleset(tmp_path, '  disposable_email_domains: ["@disposable_email_domains", trash.example]\n',
                    extra="accounts:\n  key: [email_domain]\n  tiers:\n    - {name: all, otherwise: true}\n")
    assert [f.code for f in lint_ruleset(path).findings if "list" in f.code] == []
