"""Request rules of the booking context: phone numbers and dates of birth."""
from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from chalicelib.booking.validation import BirthDate, Proof, e164_phone


@pytest.mark.parametrize("raw,e164", [
    ("(617) 555-0100", "+16175550100"), ("617.555.0100", "+16175550100"),
    ("+1 617 555 0100", "+16175550100"), ("1-617-555-0100", "+16175550100"),
    ("+52 55 1234 5678", "+525512345678"), ("+33 1 23 45 67 89", "+33123456789"),
])
def test_phone_numbers_become_e164_reading_bare_numbers_as_us(raw, e164):
    assert e164_phone(raw) == e164


@pytest.mark.parametrize("raw", ["0000000000", "1234567890", "555-0100", "+1 617 555 01",
                                 "+999 617 555 0100", "()", "+"])
def test_phone_numbers_no_one_can_answer_are_refused(raw):
    with pytest.raises(ValueError):
        e164_phone(raw)


@pytest.mark.parametrize("raw", [481420800, "481420800", 481420800.0, "1985-03-04T00:00:00",
                                 "1985-03-04T00:00:00Z", "1985-3-4", "19850304", "04/03/1985",
                                 "1985-02-30", "۱۹۸۵-۰۳-۰۴", None, True, ["1985-03-04"]])
def test_a_birth_date_is_only_the_yyyy_mm_dd_spelling(raw):
    with pytest.raises(ValidationError):
        TypeAdapter(BirthDate).validate_python(raw)
    with pytest.raises(ValidationError):
        Proof.model_validate({"last_name": "Santos", "date_of_birth": raw})


def test_a_birth_date_in_yyyy_mm_dd_is_a_date():
    assert TypeAdapter(BirthDate).validate_python("1985-03-04") == date(1985, 3, 4)
    assert Proof.model_validate_json(
        '{"last_name": "Santos", "date_of_birth": "1985-03-04"}').date_of_birth == date(1985, 3, 4)
