"""The API speaks the caller's language: problem titles and visit reason labels follow
Accept-Language, from the same catalogs as the notices; codes stay the same for programs."""
import json

import pytest
from chalice.test import Client

from app import app


@pytest.fixture(scope="module")
def client():
    with Client(app, stage_name="test") as c:
        yield c


def get(client, path, language=None):
    headers = {"Accept-Language": language} if language else {}
    response = client.http.get(path, headers=headers)
    return response.status_code, json.loads(response.body), response.headers


@pytest.mark.parametrize("language,label", [
    (None, "Emergency travel document"), ("es-US,es;q=0.9", "Documento de viaje de emergencia"),
    ("zh-TW", "緊急旅行證件"), ("ar", "وثيقة سفر طارئة"), ("ht", "Dokiman vwayaj ijans"),
    ("de", "Emergency travel document"),
])
def test_visit_reason_labels_come_in_the_callers_language(client, language, label):
    status, body, headers = get(client, "/v1/reasons", language)
    assert status == 200
    labels = {r["code"]: r["label"] for r in body["reasons"]}
    assert labels["emergency_travel_document"] == label
    assert len(labels) == 7 and all(labels.values())
    assert headers["Content-Language"] == body["language"]
    assert "Accept-Language" in headers["Vary"]


@pytest.mark.parametrize("language,title", [
    ("en", "A ZIP code has five digits"), ("es", "Un código postal tiene cinco dígitos"),
    ("ko-KR", "우편번호(ZIP)는 다섯 자리 숫자입니다"), ("pt-BR,pt;q=0.9", "Um CEP (ZIP code) tem cinco dígitos"),
])
def test_problem_titles_honour_accept_language_and_codes_do_not_change(client, language, title):
    status, body, headers = get(client, "/v1/offices?zip=12", language)
    assert status == 400 and body["code"] == "invalid_zip"
    assert body["type"] == "urn:infopass:problem:invalid_zip"
    assert body["title"] == title
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Content-Language"] == {"en": "en", "es": "es", "ko-KR": "ko"}.get(
        language, "pt")


def test_problems_chalice_answers_itself_are_translated_too(client):
    response = client.http.delete("/v1/reasons", headers={"Accept-Language": "fr"})
    body = json.loads(response.body)
    assert response.status_code == 405 and body["code"] == "method_not_allowed"
    assert body["title"] == "Méthode non autorisée"
    assert response.headers["Content-Language"] == "fr"
    # The path also answers CORS preflights, so OPTIONS is one of its methods.
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "OPTIONS"}
