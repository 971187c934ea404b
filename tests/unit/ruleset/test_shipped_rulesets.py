"""Every ruleset shipped in rulesets/ loads, validates against the schema and is fully reachable."""

from pathlib import Path

import pytest

from toolkit.data.generate import generate
from toolkit.ruleset import Ruleset
from toolkit.ruleset.ops import check

SHIPPED = sorted((Path(__file__).resolve().parents[3] / "rulesets").glob("*.yaml"))


@pytest.fixture(scope="module")
def customers():
    return generate(5000, 11)[0]


def test_rulesets_are_shipped():
    assert {p.name for p in SHIPPED} >= {"rfm_classic.yaml", "demo_distilled.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_ruleset_applies_to_the_sample(path, customers):
    rules = Ruleset.load(path)
    rules.validate(dict(customers.schema))
    report = check(rules, customers)
    assert report.ok, report.problems
    assert not report.empty and not report.unreachable
    assigned = rules.apply(customers)
    assert assigned.height == customers.height
    assert assigned.get_column("segment").null_count() == 0
