"""The documented code lists of triage, with the plain-language text people see.

Texts are English msgids marked with `N_`; they are translated where they are shown (the API by
`Accept-Language`, notices in the requester's language). Codes are stable: clients and the audit
trail keep them, so a code is never renamed or reused, only added.
"""
from __future__ import annotations

from chalicelib.i18n import N_

INQUIRY_TYPES = {
    "case_status_outside_processing_times": N_(
        "My case has been pending longer than the posted processing time"),
    "emergency_travel_document": N_("I need an emergency travel document or advance parole"),
    "i551_evidence_stamp": N_("I need an I-551 stamp as temporary proof of permanent residence"),
    "card_or_document_error": N_("My card or document has an error or never arrived"),
    "accommodation_request": N_("I need a disability accommodation"),
    "interview_documents": N_("I need to bring or receive documents for my interview"),
    "expedite_request": N_("I want to ask for my case to be expedited"),
    "other": N_("Something else"),
}

CIRCUMSTANCES = {
    "medical": N_("Health or medical situation"),
    "employment": N_("Work or job at risk"),
    "financial": N_("Money or benefits at risk"),
    "travel": N_("Travel that cannot wait"),
    "other": N_("Another hardship"),
}

DEADLINE_KINDS = {
    "travel": N_("Travel date"),
    "document_expiry": N_("A document or status expires"),
    "employment": N_("Job start or work authorization date"),
    "hearing_or_court": N_("Hearing or court date"),
    "benefits": N_("Benefits deadline"),
    "other": N_("Another deadline"),
}

CALLBACK_PERIODS = {
    "morning": N_("Morning (8 a.m. to noon)"),
    "afternoon": N_("Afternoon (noon to 5 p.m.)"),
    "evening": N_("Evening (5 p.m. to 8 p.m.)"),
}

LEVELS = {
    "emergency": N_("Emergency"),
    "urgent": N_("Urgent"),
    "standard": N_("Standard"),
}
# Higher is more urgent; the queue sorts by it and the rule set takes the highest that fired.
LEVEL_RANK = {"standard": 0, "urgent": 1, "emergency": 2}

_DUPLICATE = N_("This request repeats another open request of yours.")

# Tier 1 or Tier 2 closes a request without a visit.
RESOLUTION_OUTCOMES = {
    "information_provided": N_("We answered your question."),
    "case_action_taken": N_("We took action on your case without an office visit."),
    "referred_elsewhere": N_("We sent your request to the office or service that can handle it."),
    "duplicate_request": _DUPLICATE,
    "withdrawn": N_("You told us you no longer need help with this request."),
}

# Tier 2 decides a visit is not warranted. The requester may appeal.
DENIAL_REASONS = {
    "within_processing_times": N_(
        "Your case is within normal processing times, and a visit would not speed it up."),
    "no_visit_needed": N_("Your question can be resolved without an office visit."),
    "not_an_office_service": N_("A field office cannot help with this kind of request."),
    "insufficient_information": N_(
        "We could not confirm enough about your situation to schedule a visit."),
    "duplicate_request": _DUPLICATE,
}

APPEAL_OUTCOMES = ("upheld", "overturned")
# A supervisor decides an appeal; the code must belong to the outcome.
APPEAL_REASONS = {
    "upheld": {
        "original_decision_correct": N_("After review, the original decision was correct."),
        "no_new_information": N_(
            "The appeal did not include information that changes the decision."),
    },
    "overturned": {
        "criteria_misapplied": N_(
            "After review, the urgency criteria were not applied correctly; a visit is warranted."),
        "new_information": N_("New information shows that a visit is warranted."),
    },
}

# Staff-only codes (no requester-facing text): why a request went to Tier 2, why an officer
# changed the urgency level.
ESCALATION_REASONS = ("visit_may_be_warranted", "urgent_circumstances", "needs_document_review")
# Why an officer changed the urgency level, as the requester reads it.
OVERRIDE_REASON_TEXT = {
    "new_information": N_("New information about your situation"),
    "facts_not_captured": N_("Facts that your request did not capture"),
    "humanitarian_concern": N_("A humanitarian concern"),
    "supervisor_direction": N_("A supervisor's review"),
}
OVERRIDE_REASONS = ("new_information", "facts_not_captured", "humanitarian_concern",
                    "supervisor_direction")

# Staff-only: why a callback is set outside the requester's period or after the deadline; why a
# supervisor transfers a request or gives it to another officer.
CALLBACK_TIME_REASONS = ("requester_asked_for_this_time", "interpreter_availability",
                         "no_earlier_time")
TRANSFER_REASONS = ("outside_service_area", "requester_moved", "language_access",
                    "office_capacity")
ASSIGNMENT_REASONS = ("workload", "language_skills", "officer_absent", "expertise")

CALLBACK_OUTCOMES = ("reached", "no_answer", "voicemail")
FAILED_CALLBACK_OUTCOMES = frozenset({"no_answer", "voicemail"})

CHANNELS = ("online", "phone")

# What an open request is waiting for, as the requester reads it next to `expected_by`.
EXPECTING = {
    "callback": N_("A call back from an officer"),
    "decision": N_("A decision on your request"),
    "appeal_decision": N_("A decision on your appeal"),
    "visit": N_("An appointment for your visit"),
}


def decision_text(kind: str, code: str) -> str:
    """The English msgid explaining a decision code to the requester."""
    if kind == "resolution":
        return RESOLUTION_OUTCOMES[code]
    if kind == "denial":
        return DENIAL_REASONS[code]
    for outcome in APPEAL_OUTCOMES:
        if code in APPEAL_REASONS[outcome]:
            return APPEAL_REASONS[outcome][code]
    raise KeyError(code)


def labelled(codes: dict[str, str], gettext) -> list[dict[str, str]]:
    return [{"code": code, "label": gettext(text)} for code, text in codes.items()]
