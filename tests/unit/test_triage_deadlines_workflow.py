"""Callback-deadline arithmetic (weekends, federal holidays, office zones) and the workflow's
transition table."""
from datetime import date, datetime, timezone

import pytest

from chalicelib import errors
from chalicelib.triage import workflow
from chalicelib.triage.deadlines import (DeadlinePolicy, add_business_days, due_date, end_of,
                                         is_business_day, is_near, is_past,
                                         new_date_after_breach)

POLICY = DeadlinePolicy()
NY = "America/New_York"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("start,count,expected", [
    (date(2026, 11, 30), 1, date(2026, 12, 1)),   # Monday -> Tuesday
    (date(2026, 12, 4), 1, date(2026, 12, 7)),    # Friday -> Monday
    (date(2026, 12, 5), 1, date(2026, 12, 7)),    # Saturday -> Monday
    (date(2026, 11, 25), 1, date(2026, 11, 27)),  # Thanksgiving (Thu 26th) skipped
    (date(2026, 11, 25), 5, date(2026, 12, 3)),
    (date(2026, 7, 2), 1, date(2026, 7, 6)),      # 4 July is a Saturday: observed Friday 3rd
    (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Christmas Friday
    (date(2027, 1, 15), 1, date(2027, 1, 19)),    # Martin Luther King Jr. Day, Monday 18th
    (date(2026, 11, 30), 5, date(2026, 12, 7)),
])
def test_business_days_skip_weekends_and_federal_holidays(start, count, expected):
    assert add_business_days(start, count) == expected


def test_observed_holidays_and_weekends_are_not_business_days():
    assert not is_business_day(date(2026, 7, 3))    # Independence Day observed
    assert not is_business_day(date(2026, 12, 26))  # Saturday
    assert is_business_day(date(2026, 12, 28))


@pytest.mark.parametrize("level,start,expected", [
    ("emergency", utc(2026, 11, 30, 17), date(2026, 12, 1)),
    ("urgent", utc(2026, 11, 30, 17), date(2026, 12, 7)),
    ("standard", utc(2026, 11, 30, 17), date(2026, 12, 30)),
    # 23:30 on Friday in New York is already Saturday in UTC: the office's day counts.
    ("emergency", utc(2026, 12, 5, 4, 30), date(2026, 12, 7)),
    ("standard", utc(2026, 12, 5, 4, 30), date(2027, 1, 3)),  # calendar days may end on a Sunday
])
def test_the_due_date_follows_the_level_in_the_office_zone(level, start, expected):
    assert due_date(level, start, NY, POLICY) == expected


def test_a_due_date_ends_at_local_midnight_across_a_dst_change():
    assert end_of(date(2026, 11, 1), NY) == utc(2026, 11, 2, 5)   # EST after the change
    assert end_of(date(2026, 3, 7), NY) == utc(2026, 3, 8, 5)
    assert end_of(date(2026, 3, 8), NY) == utc(2026, 3, 9, 4)     # EDT
    assert end_of(date(2026, 12, 1), "Pacific/Honolulu") == utc(2026, 12, 2, 10)


def test_deadline_lengths_come_from_the_stage_settings():
    policy = DeadlinePolicy(emergency_business_days=2, urgent_business_days=3,
                            standard_calendar_days=10)
    start = utc(2026, 11, 30, 17)
    assert due_date("emergency", start, NY, policy) == date(2026, 12, 2)
    assert due_date("urgent", start, NY, policy) == date(2026, 12, 3)
    assert due_date("standard", start, NY, policy) == date(2026, 12, 10)


def test_near_and_past_are_measured_against_the_end_of_the_due_date():
    due_at = end_of(date(2026, 12, 1), NY)  # 05:00 UTC on 2 December
    assert not is_near(due_at, utc(2026, 12, 1, 4, 59), POLICY)
    assert is_near(due_at, utc(2026, 12, 1, 5), POLICY)
    assert not is_past(due_at, utc(2026, 12, 2, 4, 59))
    assert is_past(due_at, utc(2026, 12, 2, 5))


def test_after_a_breach_the_new_date_is_short_even_for_a_standard_request():
    breach = utc(2026, 12, 31, 5, 30)
    assert new_date_after_breach("standard", breach, NY, POLICY) == date(2027, 1, 8)
    assert new_date_after_breach("emergency", breach, NY, POLICY) == date(2027, 1, 4)


# --- the transition table --------------------------------------------------------------------

ALLOWED = {
    ("submitted", "escalate", "tier1"): "escalated",
    ("submitted", "escalate", "supervisor"): "escalated",
    # Online requests reach the office's Tier 2 queue directly.
    ("submitted", "schedule_callback", "tier2"): "callback_scheduled",
    ("submitted", "schedule_callback", "supervisor"): "callback_scheduled",
    ("escalated", "schedule_callback", "supervisor"): "callback_scheduled",
    ("callback_scheduled", "transfer", "supervisor"): "escalated",
    ("submitted", "resolve", "tier1"): "resolved_by_tier1",
    ("escalated", "schedule_callback", "tier2"): "callback_scheduled",
    ("callback_scheduled", "grant", "tier2"): "appointment_granted",
    ("callback_scheduled", "resolve", "tier2"): "resolved_without_appointment",
    ("callback_scheduled", "deny", "tier2"): "denied",
    ("denied", "appeal", "requester"): "appeal_requested",
    ("resolved_by_tier1", "appeal", "requester"): "appeal_requested",
    ("resolved_without_appointment", "appeal", "requester"): "appeal_requested",
    ("appeal_requested", "uphold", "supervisor"): "appeal_upheld",
    ("appeal_requested", "overturn", "supervisor"): "appeal_overturned",
    ("appeal_overturned", "grant", "tier2"): "appointment_granted",
    ("appeal_overturned", "grant", "supervisor"): "appointment_granted",
    ("appointment_granted", "visit_cancelled", "system"): "visit_cancelled",
    ("visit_cancelled", "grant", "tier2"): "appointment_granted",
    ("visit_cancelled", "grant", "supervisor"): "appointment_granted",
}
STATE_CHANGING = {"escalate", "resolve", "grant", "deny", "appeal", "uphold", "overturn",
                  "schedule_callback", "transfer"}


@pytest.mark.parametrize("key,target", ALLOWED.items(), ids=[" ".join(k) for k in ALLOWED])
def test_each_listed_transition_is_allowed_for_its_role(key, target):
    assert workflow.next_state(*key) == target


def test_every_other_state_change_is_an_invalid_transition():
    roles = ("tier1", "tier2", "supervisor", "office_admin", "requester", "system")
    for state in workflow.STATES:
        for step in STATE_CHANGING:
            listed = [k for k in ALLOWED if k[:2] == (state, step)]
            if listed or (state, step) in {("callback_scheduled", "schedule_callback"),
                                           ("submitted", "transfer"),
                                           ("escalated", "transfer")}:
                continue
            for role in roles:
                with pytest.raises(errors.InvalidTransition):
                    workflow.next_state(state, step, role)


def test_the_wrong_role_for_a_possible_step_is_forbidden_not_a_conflict():
    with pytest.raises(errors.RoleNotAllowed):
        workflow.next_state("callback_scheduled", "grant", "tier1")
    with pytest.raises(errors.RoleNotAllowed):
        workflow.next_state("appeal_requested", "overturn", "tier2")
    with pytest.raises(errors.RoleNotAllowed):
        workflow.next_state("submitted", "deadline_missed", "tier2")
    with pytest.raises(errors.RoleNotAllowed):
        workflow.next_state("callback_scheduled", "grant", "supervisor")
    for role in ("tier1", "office_admin", "requester", "system"):
        with pytest.raises(errors.RoleNotAllowed):
            workflow.next_state("appeal_overturned", "grant", role)


def test_final_states_allow_nothing_further():
    for state in ("appointment_granted", "appeal_upheld"):
        assert workflow.steps_from(state) == []
    # A closure without a visit can still be appealed (the service checks the window and
    # whether the requester confirmed it).
    for state in ("resolved_by_tier1", "resolved_without_appointment"):
        assert workflow.steps_from(state) == ["appeal"]


def test_an_overturned_appeal_can_still_be_granted_and_waits_in_the_queue_until_then():
    assert workflow.steps_from("appeal_overturned") == ["acknowledge_breach", "assign", "grant",
                                                         "withdraw"]
    assert workflow.in_queue("appeal_overturned", has_appointment=False)
    assert not workflow.in_queue("appeal_overturned", has_appointment=True)
    assert not workflow.in_queue("appointment_granted", has_appointment=True)
    assert all(workflow.in_queue(state, False) for state in workflow.OPEN)


def test_the_open_state_deadlines_and_the_escalation_threshold_come_from_settings(monkeypatch):
    from chalicelib import settings, wiring

    monkeypatch.setenv("TRIAGE_DECISION_BUSINESS_DAYS", "3")
    monkeypatch.setenv("TRIAGE_APPEAL_DECISION_BUSINESS_DAYS", "7")
    monkeypatch.setenv("TRIAGE_VISIT_AFTER_OVERTURN_BUSINESS_DAYS", "4")
    monkeypatch.setenv("TRIAGE_BREACHES_BEFORE_ESCALATION", "3")
    policy = wiring.deadline_policy(settings.Settings())
    assert (policy.decision_business_days, policy.appeal_decision_business_days,
            policy.visit_after_overturn_business_days, policy.breaches_before_escalation) == \
        (3, 7, 4, 3)
    defaults = DeadlinePolicy()
    assert (defaults.decision_business_days, defaults.appeal_decision_business_days,
            defaults.visit_after_overturn_business_days, defaults.breaches_before_escalation) == \
        (2, 10, 5, 2)
