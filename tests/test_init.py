"""`leadq init`: every template loads and validates clean; existing files are never overwritten silently."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, run_cli

from leadq.lint import lint_ruleset
from leadq.ruleset_loader import load_ruleset
from leadq.templates import template_names, template_text

TEMPLATES = ["b2b-saas", "cybersecurity", "it-services", "product-led"]
CHECKLIST = ("Firmographics", "Technographics", "Role", "Behaviour", "Questions to answer")


def test_the_four_templates_ship_as_package_data():
    assert template_names() == TEMPLATES
    for name in TEMPLATES:  # the package copy is the repository file (a symlink), not a stale duplicate
        assert template_text(name) == (ROOT / "rulesets" / "templates" / f"{name}.yaml").read_text()


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_written_loads_and_validates_clean(name, tmp_path):
    target = tmp_path / "leadq.yaml"
    result = run_cli(["init", "--template", name, str(target)])
    assert result.stdout.splitlines()[0] == f"wrote {target} (template {name})"
    text = target.read_text()
    assert text == template_text(name)
    for heading in CHECKLIST:
        assert heading in text, f"{name}: the ICP checklist lacks {heading!r}"
    rs = load_ruleset(str(target))
    assert rs.rules and rs.tiers[-1].when is None
    report = lint_ruleset(str(target))
    assert [str(f) for f in report.findings if f.severity != "info"] == []
    run_cli(["validate", str(target), "--strict"])


def test_default_path_is_leadq_yaml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_cli(["init"])
    assert (tmp_path / "leadq.yaml").read_text() == template_text("b2b-saas")


def test_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("# my edited ruleset\n")
    result = run_cli(["init", str(target)], exit_code=2)
    assert result.stderr == f"leadq: error: {target} already exists; pass --force to overwrite it, or give another path\n"
    assert target.read_text() == "# my edited ruleset\n"
    run_cli(["init", "--force", "-t", "product-led", str(target)])
    assert target.read_text() == template_text("product-led")


def test_directory_and_unknown_template(tmp_path):
    result = run_cli(["init", str(tmp_path)], exit_code=2)
    assert "is a directory" in result.stderr
    result = run_cli(["init", "--template", "b2b_saas", str(tmp_path / "x.yaml")], exit_code=2)
    assert result.stderr == ("leadq: error: --template: unknown template 'b2b_saas'; did you mean 'b2b-saas'?; "
                             "expected one of: b2b-saas, cybersecurity, it-services, product-led\n")
    assert not (tmp_path / "x.yaml").exists()


def test_list_and_stdout():
    assert run_cli(["init", "--list"]).stdout == (
        "b2b-saas       B2B SaaS, sales-led\n"
        "cybersecurity  Cybersecurity vendor\n"
        "it-services    IT services / consultancy\n"
        "product-led    Product-led (free trial / freemium)\n"
    )
    assert run_cli(["init", "-t", "it-services", "-"]).stdout == template_text("it-services")


def test_an_empty_path_is_refused_not_taken_for_the_default(tmp_path, monkeypatch):
    # `leadq init "$OUT"` with OUT unset wrote leadq.yaml (or, with --force, overwrote it) in the current folder.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leadq.yaml").write_text("# edited\n")
    for args in (["init", ""], ["init", "--force", " "]):
        result = run_cli(args, exit_code=2)
        assert result.stderr == ("leadq: error: PATH is empty; give the file to write (leave it out for leadq.yaml, "
                                 "'-' for stdout)\n")
    assert (tmp_path / "leadq.yaml").read_text() == "# edited\n"


@pytest.mark.parametrize("name", template_names())
def test_no_template_tells_to_validate_a_file_other_than_itself(name):
    # The b2b-saas header said `leadq validate leadq.yaml`, whatever PATH init wrote it to.
    assert "validate leadq.yaml" not in template_text(name)
