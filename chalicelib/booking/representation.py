"""How booking objects look to callers: office-local times with their UTC offset, no internals."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.booking import offices
from chalicelib.booking.domain import WHAT_TO_BRING, Appointment, format_confirmation_number
from chalicelib.booking.ports import Slot
from chalicelib.booking.schedule import slot_id
from chalicelib.i18n import N_

SERVICE_REQUEST_PATH = "/v1/service-requests"
CONTACT_CENTER_PHONE = "1-800-375-5283"
# English labels of booking.domain.REASON_CODES: gettext msgids, translated where served.
REASON_LABELS = {
    "case_inquiry": N_("Ask about my case"),
    "emergency_travel_document": N_("Emergency travel document"),
    "evidence_of_status": N_("Proof of immigration status"),
    "document_error": N_("Error on a document"),
    "interview_documents": N_("Documents for an interview"),
    "accommodation_request": N_("Accommodation request"),
    "other": N_("Other"),
}

# Labels of appointment statuses for people, shown beside the stable `status` code.
STATUS_LABELS = {
    "booked": N_("Booked"),
    "cancelled": N_("Cancelled"),
    "checked_in": N_("Checked in"),
    "no_show": N_("Missed"),
}


def with_status_label(body: dict, gettext) -> dict:
    status = body.get("status")
    label = gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status
    return {**body, "status_label": label}


def local_iso(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def office_summary(office: dict, distance_miles: float | None = None) -> dict:
    body = {"id": office["id"], "name": office["name"], "address": office["address"],
            "timezone": office["timezone"], "scheduling": office["scheduling"]}
    if distance_miles is not None:
        body["distance_miles"] = round(distance_miles, 1)
    if office["scheduling"] != "self_service":
        body["request_path"] = SERVICE_REQUEST_PATH
    base_url = offices.regions().base_url(office)
    if base_url is not None:  # a multi-region stage: the API that serves this office
        body["home_region"], body["api_base_url"] = offices.regions().home_of(office), base_url
    return body


# What the public sees of a closure: never who set it or the staff's free-text note.
PUBLIC_CLOSURE = ("from", "to", "start", "end", "reason_code")


def office_detail(office: dict) -> dict:
    return {**office_summary(office), "latitude": office["latitude"],
            "longitude": office["longitude"], "services": office["services"],
            "schedule": office["schedule"],
            "closures": [{k: c[k] for k in PUBLIC_CLOSURE if k in c}
                         for c in office.get("closures", [])]}


def slot(s: Slot, zone: str, available: int | None = None) -> dict:
    """`available`: the seats this caller may take (the service counts them: public seats
    and expired holds for the public, the reserve too for staff)."""
    return {"slot_id": slot_id(s.office_id, s.start), "start": local_iso(s.start, zone),
            "end": local_iso(s.end, zone),
            "available": s.available if available is None else available}


def booking(a: Appointment, office: dict, changes_close_at: datetime, now: datetime) -> dict:
    """`changes_closed` is true when the appointment can no longer be rescheduled online (a
    booking made inside the change cutoff is closed from the start); it can still be cancelled
    until `start`."""
    return {"confirmation_number": format_confirmation_number(a.confirmation_number),
            "status": a.status, "version": a.version, "slot_id": a.slot_id,
            "office": office_summary(office), "timezone": a.timezone,
            "start": local_iso(a.start, a.timezone), "end": local_iso(a.end, a.timezone),
            "changes_close_at": local_iso(changes_close_at, a.timezone),
            "changes_closed": now >= changes_close_at,
            "what_to_bring": list(WHAT_TO_BRING),
            "reason": a.reason, "language": a.language, "contact_method": a.contact_method,
            "accommodations": a.accommodations, "contact_center_phone": CONTACT_CENTER_PHONE}


def appointment(a: Appointment, office: dict, changes_close_at: datetime, now: datetime) -> dict:
    """Shown only after the caller proved who they are."""
    applicant = a.applicant
    return {**booking(a, office, changes_close_at, now),
            "applicant": {k: applicant.get(k) for k in ("first_name", "last_name", "email", "phone")}}
