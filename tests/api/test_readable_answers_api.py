"""Answers a person can read in their language, and one shape for one thing, through the HTTP API
(chalice.test.Client against the moto server)."""
import json
from datetime import date, timedelta

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from tests.api.test_booking_api import PERSON, assert_problem, booking, call, slot_in
from tests.api.test_triage_api import PROOF as SR_PROOF, request_body
from tests.aws_fixtures import with_slots

PROOF = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}
REGEX_BITS = ("^", "$", "\\W", "\\d", "[", "(?:")


@pytest.fixture
def client(aws, monkeypatch):
    monkeypatch.setenv("MIN_INTERVAL_DAYS", "0")
    wiring.rewire()
    with_slots(["miami"])
    from local import gateway
    gateway.install()
    with Client(app, stage_name="test") as c:
        yield c


def by_field(data):
    return {e["field"]: e for e in data["errors"]}


def test_validation_errors_speak_the_callers_language_and_never_echo_input_or_patterns(client):
    bad = booking("miami.x", applicant={**PERSON, "first_name": "R2-D2", "phone": "12",
                                        "date_of_birth": "31/12/1980", "email": "not-an-email"})
    status, data, headers = call(client, "post", "/v1/appointments", bad,
                                 {"Accept-Language": "es-MX,es;q=0.9"})
    assert_problem(status, data, headers, 422, "validation_failed")
    assert headers["Content-Language"] == "es" and data["title"] == \
        "Faltan algunos campos o no son válidos"
    fields = by_field(data)
    assert fields["applicant.first_name"]["message"].startswith("Use letras")
    assert fields["applicant.date_of_birth"]["message"] == \
        "Escriba una fecha con el formato AAAA-MM-DD (YYYY-MM-DD)."
    assert fields["applicant.phone"]["message"] == "Use al menos 7 caracteres."
    assert fields["applicant.phone"]["min_length"] == 7
    assert fields["applicant.email"]["message"] == "Escriba un correo electrónico válido."
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("R2-D2", "31/12/1980", "not-an-email"):
        assert secret not in text, secret
    for entry in data["errors"]:
        assert not [bit for bit in REGEX_BITS if bit in entry["message"]], entry
        assert "should" not in entry["message"]  # none of pydantic's own English


def test_without_accept_language_a_problem_follows_the_language_in_the_body(client):
    bad = booking("miami.x", language="fr", applicant={**PERSON, "last_name": ""})
    status, data, headers = call(client, "post", "/v1/appointments", bad)
    assert_problem(status, data, headers, 422, "validation_failed")
    assert headers["Content-Language"] == "fr"
    assert by_field(data)["applicant.last_name"]["message"] == "Ce champ ne doit pas être vide."


def test_unknown_fields_are_counted_never_named(client):
    bad = booking(slot_in(client, 3)["slot_id"], **{"maria.santos@example.org": "x",
                                                      "ssn": "123-45-6789"})
    bad["applicant"]["Maria Santos"] = 1
    status, data, headers = call(client, "post", "/v1/appointments", bad)
    assert_problem(status, data, headers, 422, "validation_failed")
    text = json.dumps(data)
    for name in ("maria", "santos", "ssn", "123-45"):
        assert name not in text.lower()
    unknown = {e["field"]: e for e in data["errors"] if e["code"] == "unknown_field"}
    assert unknown[""]["count"] == 2 and unknown["applicant"]["count"] == 1
    # The booking's own language (Spanish) when no Accept-Language is sent.
    assert unknown[""]["message"] == "Quite los campos que esta solicitud no acepta (2)."


def test_a_reversed_date_range_is_its_own_problem(client):
    start = date.today() + timedelta(days=5)
    status, data, headers = call(
        client, "get",
        f"/v1/offices/miami/slots?from={start}&to={start - timedelta(days=2)}",
        headers={"Accept-Language": "pt"})
    assert_problem(status, data, headers, 400, "reversed_range")
    assert data["title"] == "O intervalo de datas termina antes de começar"
    assert data["detail"] == "Coloque a data mais antiga em 'from' e a mais recente em 'to'."
    status, data, _ = call(client, "get", f"/v1/offices/miami/slots?from={start}"
                                          f"&to={start + timedelta(days=400)}")
    assert data["code"] == "invalid_range"


@pytest.mark.parametrize("key", ["x" * 256, ""])
def test_a_malformed_idempotency_key_is_a_header_problem(client, key):
    body = booking(slot_in(client, 3)["slot_id"])
    for path, payload in (("/v1/appointments", body), ("/v1/service-requests", request_body())):
        status, data, headers = call(client, "post", path, payload, {"Idempotency-Key": key})
        assert_problem(status, data, headers, 400, "invalid_header")
        assert "query parameter" not in data["title"]


def test_a_booking_answer_carries_what_lookup_shows_and_where_to_find_it(client):
    status, booked, headers = call(client, "post", "/v1/appointments",
                                   booking(slot_in(client, 3)["slot_id"]))
    assert status == 201
    cn = booked["confirmation_number"]
    assert headers["Location"] == f"/v1/appointments/{cn}/lookup"
    status, looked_up, _ = call(client, "post", headers["Location"], PROOF)
    assert status == 200
    assert {k: v for k, v in looked_up.items() if k != "applicant"} == booked
    for field in ("slot_id", "version", "timezone", "changes_close_at", "status_label"):
        assert booked[field]


def test_appointments_answer_in_the_stored_language_unless_asked_otherwise(client):
    cn = call(client, "post", "/v1/appointments",
              booking(slot_in(client, 3)["slot_id"], language="es"))[1]["confirmation_number"]
    status, data, headers = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)
    assert (data["status"], data["status_label"], headers["Content-Language"]) == \
        ("booked", "Reservada", "es")
    status, data, headers = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF,
                                 {"Accept-Language": "ko"})
    assert (data["status_label"], headers["Content-Language"]) == ("예약됨", "ko")
    status, data, _ = call(client, "post", f"/v1/appointments/{cn}/cancel", PROOF)
    assert (data["status"], data["status_label"]) == ("cancelled", "Cancelada")


def test_too_late_names_the_close_as_lookup_does_in_office_time(client, monkeypatch):
    cn = call(client, "post", "/v1/appointments",
              booking(slot_in(client, 3)["slot_id"]))[1]["confirmation_number"]
    shown = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)[1]["changes_close_at"]
    monkeypatch.setenv("CHANGE_CUTOFF_HOURS", str(24 * 30))
    wiring.rewire()
    later = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)[1]["changes_close_at"]
    # Only moves close before the start (a cancellation stays open until then).
    move = {**PROOF, "slot_id": slot_in(client, 5)["slot_id"]}
    status, data, headers = call(client, "post", f"/v1/appointments/{cn}/reschedule", move)
    assert_problem(status, data, headers, 409, "too_late")
    assert data["changes_close_at"] == later != shown
    assert "changes_closed_at" not in data
    assert later.endswith(("-05:00", "-04:00"))  # Miami's offset, as lookup shows it
    # The detail is translated like the title, with the numbers the body states.
    assert data["cutoff_hours"] == 720 and "720" in data["detail"] and "{" not in data["detail"]
    status, data, headers = call(client, "post", f"/v1/appointments/{cn}/reschedule", move,
                                 {"Accept-Language": "es"})
    assert data["detail"] == ("Los cambios en línea se cierran 720 horas antes de la cita; "
                              "llame al centro de contacto al 1-800-375-5283.")


def test_service_requests_answer_in_the_requesters_language_with_a_status_label(client):
    status, data, headers = call(client, "post", "/v1/service-requests",
                                 request_body(language="vi"))
    assert status == 201
    request_id = data["request_id"]
    assert headers["Location"] == f"/v1/service-requests/{request_id}/status"
    assert (data["status"], data["status_label"]) == ("submitted", "Đã nhận")
    status, data, _ = call(client, "post", headers["Location"], SR_PROOF)
    assert status == 200 and data["status_label"] == "Đã nhận"
    status, data, _ = call(client, "post", headers["Location"], SR_PROOF,
                           {"Accept-Language": "en"})
    assert data["status_label"] == "Received"
