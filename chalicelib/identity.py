"""Person identity, shared by booking and triage: who counts as one person, and keys for a
person and a contact address that never hold a guessable hash of personal data.

Plain Python, no AWS. Keys are HMACs under the stage's secret pepper.
"""
from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date

# Bumped whenever the folding below changes: a key of another version names nobody.
PERSON_KEY_VERSION = "person/v2"
# Ideographic and syllabic scripts have no Latin look-alikes; transliterating them would merge
# different names that merely sound alike (王伟 and 汪伟 are both "Wang Wei").
_KEPT_SCRIPTS = ("CJK ", "HANGUL ", "HIRAGANA ", "KATAKANA ", "YI ", "BOPOMOFO ")


def keyed_hash(pepper: str, *parts: str) -> str:
    message = "\x1f".join(parts).encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()


def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch
    if unicodedata.name(ch, "").startswith(_KEPT_SCRIPTS):
        return ch
    # Imported on first use (ASCII names never get here); it loads one 256-character block
    # of its table at a time.
    from anyascii import anyascii

    # Letters anyascii has no reading for stay themselves: better two keys than a name that
    # folds to nothing and collides with every other such name.
    return anyascii(ch) or ch


def fold_name(name: str) -> str:
    """The form of a name that decides identity: compatibility forms (NFKC: fullwidth,
    ligatures, math letters), then look-alike letters of other scripts (Cyrillic "а", Greek
    "ο", Latin "ɑ") folded to the Latin letters they imitate, accents dropped, case folded,
    and spaces and punctuation ignored."""
    composed = unicodedata.normalize("NFKC", name)
    folded = "".join(_fold_char(ch) for ch in composed)
    return "".join(ch for ch in folded.casefold() if ch.isalnum())


def legacy_fold_name(name: str) -> str:
    """The folding of person keys before v2 (and of appointment proofs still): case, accents,
    spaces and punctuation only."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in letters.casefold() if ch.isalnum())


def person_key(pepper: str, first_name: str, last_name: str, date_of_birth: date) -> str:
    """One key per person: last name, first name and date of birth, and nothing optional, so
    sending or leaving out an A-number (or sending a different one) is still the same person."""
    return keyed_hash(pepper, PERSON_KEY_VERSION, fold_name(last_name), fold_name(first_name),
                       date_of_birth.isoformat())


def legacy_person_key(pepper: str, first_name: str, last_name: str, date_of_birth: date,
                      a_number: str | None) -> str:
    """The v1 key (it included the A-number): only the re-keying migration computes it."""
    return keyed_hash(pepper, "person", legacy_fold_name(last_name),
                       legacy_fold_name(first_name), date_of_birth.isoformat(), a_number or "")


def normalize_email(address: str) -> str:
    return address.strip().lower()


def contact_key(pepper: str, kind: str, normalized: str) -> str:
    """Key of one contact address (`kind` "email" with a lower-cased address, or "phone" in
    E.164), for the per-contact limit."""
    return keyed_hash(pepper, "contact", kind, normalized)
