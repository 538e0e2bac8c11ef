"""Generated rulesets of 10, 30, 100, 300 rules for the scaling run.

Each ruleset keeps the benchmark ruleset's columns, 5 disqualifiers, grades and
5 tiers, and fills the rest with rules cycling through the benchmark's kinds:
title regexes, e-mail domain regexes, text lists, number ranges and event
rules (types, URL conditions, half-lives, caps, windows). Roughly half of the
rules are event rules, so the aggregation grows with the rule count.
"""

from __future__ import annotations

import os
import time

from benchmarks.data import DATA

_TITLE_WORDS = ["chief", "ceo", "vp", "director", "head", "manager", "lead", "marketing", "growth", "sales",
                "revenue", "engineer", "founder", "owner", "operations", "product", "analyst", "specialist"]
_EVENTS = [("page_view", "/pricing"), ("page_view", "/product/"), ("page_view", "/blog/"), ("page_view", "/docs/"),
           ("content_download", "/ebooks/"), ("content_download", "/case-studies/"), ("webinar_attended", None),
           ("webinar_registered", None), ("form_submit", "/contact"), ("email_click", None), ("email_open", None),
           ("demo_request", None), ("signed_up", None), ("used_core_feature", None), ("invited_teammate", None)]


def _header() -> str:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ruleset.yaml")) as fh:
        text = fh.read()
    head = text[:text.index("\nfit:")]
    tail = text[text.index("\ndisqualifiers:"):]
    return head, tail


def ruleset_text(n_rules: int) -> str:
    """YAML of a ruleset with ``n_rules`` scoring rules (plus the 5 disqualifiers and 5 tiers)."""
    head, tail = _header()
    fit, intent = [], []
    for i in range(n_rules):
        kind = i % 6
        if kind == 0:
            word = _TITLE_WORDS[i % len(_TITLE_WORDS)]
            fit.append(f"  - id: title_{i}\n    label: title {word} {i}\n"
                       f"    when: job_title matches \"\\\\b({word}|{_TITLE_WORDS[(i + 5) % len(_TITLE_WORDS)]})\\\\b\"\n"
                       f"    points: {5 + i % 11}")
        elif kind == 1:
            tld = ["io", "ai", "de", "com", "net", "co.uk"][i % 6].replace(".", "\\\\.")
            fit.append(f"  - id: domain_{i}\n    label: domain {i}\n    when: email_domain matches \"\\\\.{tld}$\"\n"
                       f"    points: {2 + i % 5}")
        elif kind == 2:
            low = 10 * (1 + i % 50)
            fit.append(f"  - id: size_{i}\n    label: size {i}\n    when: company_size between {low} and {low * 20}\n"
                       f"    points: {3 + i % 7}")
        else:
            etype, url = _EVENTS[i % len(_EVENTS)]
            where = f"\n    where: url contains \"{url}\"" if url else ""
            intent.append(f"  - id: event_{i}\n    label: event {etype} {i}\n    event: {etype}{where}\n"
                          f"    points: {1 + i % 9}\n    cap: {10 + i % 25}\n    half_life_days: {7 + i % 40}\n"
                          f"    within_days: {30 + (i * 7) % 151}")
    # Tiers refer to demo_request via fired(); keep a rule of that id.
    intent.append("  - id: demo_request\n    label: demo request\n    event: demo_request\n    points: 30\n"
                  "    cap: 30\n    half_life_days: 14\n    within_days: 90")
    return (head + "\nfit:\n" + ("\n".join(fit) if fit else "  []") + "\n\nintent:\n" + "\n".join(intent)
            + "\n" + tail)


def write(n_rules: int) -> str:
    """Write the ruleset of ``n_rules`` rules under benchmarks/data/rulesets/ and return its path."""
    out = os.path.join(DATA, "rulesets")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"rules_{n_rules}.yaml")
    with open(path, "w") as fh:
        fh.write(ruleset_text(n_rules - 1))  # + demo_request = n_rules
    return path


def compile_seconds(path: str) -> float:
    """Seconds to load, validate and compile a ruleset (best of three, in process)."""
    from datetime import datetime, timezone

    from leadq.compiler import compile_ruleset
    from leadq.ruleset_loader import load_ruleset

    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        compile_ruleset(load_ruleset(path), datetime(2026, 11, 1, tzinfo=timezone.utc))
        best = min(best, time.perf_counter() - start)
    return best
