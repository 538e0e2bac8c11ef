"""Tests for leadq.domain_lists: the shipped e-mail domain lists load and are clean."""

from __future__ import annotations

import re

import pytest

from leadq.domain_lists import BUILTIN_LISTS, load_builtin_list

DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


@pytest.mark.parametrize("name", BUILTIN_LISTS)
def test_builtin_list_holds_only_clean_domains(name):
    domains = load_builtin_list(name)
    bad = [d for d in domains if not DOMAIN.match(d)]
    assert not bad, f"{name}: not a lowercase domain: {bad}"
    assert len(domains) == len(set(domains))


def test_personal_list_covers_major_providers():
    domains = set(load_builtin_list("personal_email_domains"))
    assert len(domains) >= 150
    for d in ["gmail.com", "googlemail.com", "yahoo.co.uk", "hotmail.fr", "outlook.com", "icloud.com",
              "gmx.de", "web.de", "mail.ru", "yandex.ru", "qq.com", "163.com", "proton.me", "orange.fr",
              "libero.it", "btinternet.com", "comcast.net", "naver.com", "rediffmail.com"]:
        assert d in domains


def test_disposable_list_covers_common_services():
    domains = set(load_builtin_list("disposable_email_domains"))
    assert len(domains) >= 50
    assert {"mailinator.com", "guerrillamail.com", "10minutemail.com", "temp-mail.org", "yopmail.com"} <= domains
    # A provider is personal or disposable, never both.
    assert not domains & set(load_builtin_list("personal_email_domains"))


def test_unknown_list_name_is_rejected_with_suggestion():
    with pytest.raises(ValueError, match="did you mean 'personal_email_domains'"):
        load_builtin_list("personal_email_domain")
