"""The published urgency criteria: the shipped rule set, its validation, and the properties every
version must keep (deterministic; a nearer deadline or an added circumstance never lowers the
level)."""
from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.triage import criteria
from chalicelib.triage.codes import CIRCUMSTANCES, DEADLINE_KINDS, INQUIRY_TYPES, LEVEL_RANK
from chalicelib.triage.criteria import Deadline, Facts

TODAY = date(2026, 11, 30)
RULES = criteria.current(TODAY)


def facts(inquiry="other", deadlines=(), circumstances=(), filed=None, today=TODAY) -> Facts:
    return Facts(inquiry, today, tuple(Deadline(today + timedelta(days=d), k)
                                       for d, k in deadlines),
                 frozenset(circumstances), filed)


def level(**kwargs) -> str:
    return criteria.evaluate(RULES, facts(**kwargs)).level


# --- the shipped rule set --------------------------------------------------------------------

def test_nothing_pressing_is_standard_with_no_criteria():
    result = criteria.evaluate(RULES, facts())
    assert result == criteria.Assessment("2026.1", "standard", ())


@pytest.mark.parametrize("kwargs,expected,fired", [
    ({"deadlines": [(2, "other")]}, "emergency", "deadline-within-3-days"),
    ({"deadlines": [(-3, "benefits")]}, "emergency", "deadline-within-3-days"),
    ({"inquiry": "emergency_travel_document", "deadlines": [(10, "travel")]}, "emergency",
     "travel-document-travel-within-14-days"),
    ({"circumstances": ["medical"], "deadlines": [(14, "hearing_or_court")]}, "emergency",
     "medical-with-deadline-within-14-days"),
    ({"deadlines": [(30, "document_expiry")]}, "urgent", "deadline-within-30-days"),
    ({"inquiry": "emergency_travel_document"}, "urgent", "travel-document-request"),
    ({"inquiry": "i551_evidence_stamp", "circumstances": ["employment"]}, "urgent",
     "status-evidence-for-work-money-or-travel"),
    ({"circumstances": ["medical"]}, "urgent", "medical-circumstance"),
    ({"circumstances": ["financial", "travel"]}, "urgent", "several-hardships"),
    ({"inquiry": "case_status_outside_processing_times", "filed": TODAY - timedelta(days=400)},
     "urgent", "pending-over-one-year"),
])
def test_each_criterion_fires_on_its_facts(kwargs, expected, fired):
    result = criteria.evaluate(RULES, facts(**kwargs))
    assert result.level == expected and fired in result.fired


@pytest.mark.parametrize("kwargs", [
    {"deadlines": [(31, "other")]},
    {"deadlines": [(-31, "other")]},
    {"inquiry": "emergency_travel_document", "deadlines": [(10, "benefits")], "circumstances": []},
    {"inquiry": "i551_evidence_stamp", "circumstances": ["other"]},
    {"inquiry": "case_status_outside_processing_times", "filed": TODAY - timedelta(days=365)},
    {"inquiry": "other", "filed": TODAY - timedelta(days=900)},
])
def test_facts_just_outside_a_criterion_do_not_fire_it(kwargs):
    result = criteria.evaluate(RULES, facts(**kwargs))
    assert result.level != "emergency"
    if not kwargs.get("inquiry", "").startswith("emergency"):
        assert result.level == "standard"


def test_criteria_report_in_rule_set_order_with_stable_ids():
    result = criteria.evaluate(RULES, facts(inquiry="emergency_travel_document",
                                            deadlines=[(1, "travel")], circumstances=["medical"]))
    order = [c.id for c in RULES.criteria]
    assert list(result.fired) == sorted(result.fired, key=order.index)
    assert len(result.fired) == 6


def test_the_rule_in_force_is_the_latest_effective_version():
    assert criteria.current(date(2030, 1, 1)).version == "2026.1"
    two = criteria.parse({"versions": [
        {"version": "a", "effective_from": "2026-01-01", "summary": "", "criteria": []},
        {"version": "b", "effective_from": "2027-01-01", "summary": "", "criteria": [
            {"id": "x", "level": "urgent", "when": {"circumstance_in": ["other"]},
             "explanation": "x"}]}]})
    assert [r.version for r in two] == ["a", "b"]


@pytest.mark.parametrize("criterion,problem", [
    ({"id": "x", "level": "urgent", "when": {"moon_phase": "full"}}, "unknown"),
    ({"id": "x", "level": "urgent", "when": {}}, "empty"),
    ({"id": "x", "level": "standard", "when": {"circumstance_in": ["other"]}}, "raises"),
    ({"id": "x", "level": "urgent", "when": {"deadline_kind_in": ["travel"]}}, "needs"),
    ({"id": "x", "level": "urgent", "when": {"inquiry_type_in": ["lottery"]}}, "unknown codes"),
])
def test_a_malformed_rule_set_is_refused(criterion, problem):
    document = {"versions": [{"version": "v", "effective_from": "2026-01-01", "summary": "",
                              "criteria": [{**criterion, "explanation": "e"}]}]}
    with pytest.raises(criteria.InvalidRuleSet, match=problem):
        criteria.parse(document)


def test_every_explanation_is_plain_language_and_ids_are_unique_across_versions():
    for rule_set in criteria.all_versions():
        for c in rule_set.criteria:
            assert c.explanation.endswith(".") and len(c.explanation) < 120
            assert c.id == c.id.lower() and " " not in c.id


# --- properties ------------------------------------------------------------------------------

deadline = st.tuples(st.integers(-60, 400), st.sampled_from(sorted(DEADLINE_KINDS)))
request_facts = st.fixed_dictionaries({
    "inquiry": st.sampled_from(sorted(INQUIRY_TYPES)),
    "deadlines": st.lists(deadline, max_size=4),
    "circumstances": st.sets(st.sampled_from(sorted(CIRCUMSTANCES))),
    "filed": st.one_of(st.none(), st.integers(0, 2000).map(lambda d: TODAY - timedelta(days=d))),
})
rule_sets = st.sampled_from(criteria.all_versions())


@settings(max_examples=300, deadline=None)
@given(request_facts, rule_sets)
def test_the_same_facts_always_give_the_same_result(kwargs, rule_set):
    first = criteria.evaluate(rule_set, facts(**kwargs))
    again = criteria.evaluate(rule_set, facts(**{**kwargs, "deadlines": list(kwargs["deadlines"]),
                                                 "circumstances": set(kwargs["circumstances"])}))
    assert first == again
    assert first.level == max((criteria.criterion(rule_set, c).level for c in first.fired),
                              key=LEVEL_RANK.__getitem__, default="standard")


@settings(max_examples=300, deadline=None)
@given(request_facts, st.data(), rule_sets)
def test_a_nearer_deadline_never_lowers_the_level(kwargs, data, rule_set):
    if not kwargs["deadlines"]:
        return
    index = data.draw(st.integers(0, len(kwargs["deadlines"]) - 1))
    days, kind = kwargs["deadlines"][index]
    nearer = data.draw(st.integers(-abs(days), abs(days)))
    moved = list(kwargs["deadlines"])
    moved[index] = (nearer, kind)
    before = criteria.evaluate(rule_set, facts(**kwargs)).level
    after = criteria.evaluate(rule_set, facts(**{**kwargs, "deadlines": moved})).level
    assert LEVEL_RANK[after] >= LEVEL_RANK[before]


@settings(max_examples=300, deadline=None)
@given(request_facts, st.sampled_from(sorted(CIRCUMSTANCES)), deadline, rule_sets)
def test_an_added_circumstance_or_deadline_never_lowers_the_level(kwargs, circumstance,
                                                                  extra_deadline, rule_set):
    before = criteria.evaluate(rule_set, facts(**kwargs)).level
    with_circumstance = {**kwargs, "circumstances": kwargs["circumstances"] | {circumstance}}
    with_deadline = {**kwargs, "deadlines": [*kwargs["deadlines"], extra_deadline]}
    for changed in (with_circumstance, with_deadline):
        after = criteria.evaluate(rule_set, facts(**changed)).level
        assert LEVEL_RANK[after] >= LEVEL_RANK[before]
