from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking import domain


def test_confirmation_numbers_are_twelve_unambiguous_characters():
    numbers = {domain.new_confirmation_number() for _ in range(2000)}
    assert len(numbers) == 2000
    for cn in numbers:
        assert len(cn) == 12
        assert not set(cn) & set("ILOU")
    # 32 symbols ** 12 = 2 ** 60 possibilities
    assert len(domain._ALPHABET) ** domain.CONFIRMATION_LENGTH >= 2 ** 50


def test_confirmation_numbers_read_aloud_are_accepted_in_any_reasonable_form():
    assert domain.format_confirmation_number("ABCD1234EFGH") == "ABCD-1234-EFGH"
    assert domain.normalize_confirmation_number("abcd-1234-efgh") == "ABCD1234EFGH"
    assert domain.normalize_confirmation_number("ABCD 1234 EFGH") == "ABCD1234EFGH"
    assert domain.normalize_confirmation_number("OOOO-IIII-LLLL") == "000011111111"
    for bad in ("", "ABCD", "ABCD-1234-EFG!", "ABCD-1234-EFGHJ", "UUUU1234EFGH"):
        assert domain.normalize_confirmation_number(bad) is None


def test_one_person_is_one_key_whatever_the_spelling_of_case_accents_and_spaces():
    dob = date(1980, 5, 17)
    a = domain.person_key("pepper", "José", "García López", dob)
    b = domain.person_key("pepper", "JOSE", "garcia-lopez", dob)
    assert a == b
    assert a != domain.person_key("pepper", "Jose", "Garcia Lopez", date(1980, 5, 18))
    assert a != domain.person_key("pepper", "Josefa", "Garcia Lopez", dob)
    assert a != domain.person_key("other-pepper", "Jose", "Garcia Lopez", dob)
    assert "garcia" not in a.lower()


@pytest.mark.parametrize("first,last", [
    ("\u0410na", "Ruiz"),            # Cyrillic capital A
    ("\u0430na".capitalize(), "Ruiz"),  # Cyrillic small a, capitalized
    ("An\u0430", "Ruiz"),            # Cyrillic small a at the end
    ("\u0391na", "Ruiz"),            # Greek capital alpha
    ("Ana", "Ru\u0456z"),            # Ukrainian i
    ("\uff21\uff4e\uff41", "Ruiz"),  # fullwidth
    ("\U0001d400na", "Ruiz"),        # mathematical bold A
    ("\u0251na", "Ruiz"),            # Latin alpha
    ("Ana", "R\u00fciz"),            # an accent
    ("A n a", "Ru-iz"),
])
def test_look_alike_letters_do_not_make_a_new_person(first, last):
    dob = date(1979, 8, 30)
    assert domain.person_key("p", first, last, dob) == domain.person_key("p", "Ana", "Ruiz", dob)


def test_names_in_scripts_without_look_alikes_are_not_merged_by_sound():
    dob = date(1979, 8, 30)
    # 王 and 汪 both romanize to "Wang": different people, not look-alikes.
    assert domain.person_key("p", "伟", "王", dob) != domain.person_key("p", "伟", "汪", dob)
    assert domain.person_key("p", "伟", "王", dob) == domain.person_key("p", " 伟", "王", dob)
    assert domain.person_key("p", "민준", "김", dob) != domain.person_key("p", "민수", "김", dob)


def test_the_person_key_is_versioned_apart_from_the_legacy_key():
    from chalicelib import identity
    dob = date(1979, 8, 30)
    assert identity.person_key("p", "Ana", "Ruiz", dob) != \
        identity.legacy_person_key("p", "Ana", "Ruiz", dob, None)
    assert identity.legacy_person_key("p", "Ana", "Ruiz", dob, None) != \
        identity.legacy_person_key("p", "Ana", "Ruiz", dob, "A123456789")


def test_a_proof_matches_only_the_right_last_name_and_birth_date():
    digest = domain.proof_digest("p", "ABCD1234EFGH", "Nguyen", date(1990, 1, 2))
    assert domain.proof_matches("p", digest, "ABCD1234EFGH", "NGUYEN ", date(1990, 1, 2))
    assert not domain.proof_matches("p", digest, "ABCD1234EFGH", "Nguyen", date(1990, 1, 3))
    assert not domain.proof_matches("p", digest, "ABCD1234EFGH", "Tran", date(1990, 1, 2))
    assert not domain.proof_matches("p", digest, "ABCD1234EFGJ", "Nguyen", date(1990, 1, 2))


def test_changes_close_exactly_at_the_cutoff():
    policy = domain.Policy(change_cutoff=timedelta(hours=24))
    start = datetime(2026, 12, 2, 14, tzinfo=timezone.utc)
    domain.ensure_changeable("booked", start, start - timedelta(hours=24, seconds=1), policy)
    with pytest.raises(errors.TooLate):
        domain.ensure_changeable("booked", start, start - timedelta(hours=24), policy)
    with pytest.raises(errors.NotChangeable):
        domain.ensure_changeable("cancelled", start, start - timedelta(days=3), policy)
