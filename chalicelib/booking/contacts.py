"""The per-contact limit: at most `limit` upcoming self-service appointments share one email
address or one phone number. Each contact (keyed by an HMAC of its normalized form) has `limit`
seats; a booking picks a free seat of each of its contacts here and takes them in its own
transaction, on condition that they are still free (see `DynamoBookingRepository.book`)."""
from __future__ import annotations

from datetime import datetime

from chalicelib import errors, identity
from chalicelib.booking.ports import BookingRepository


class ContactSeats:
    def __init__(self, repository: BookingRepository, pepper: str, limit: int) -> None:
        self.repo = repository
        self.pepper = pepper
        self.limit = limit

    def keys(self, email: str | None, phone: str) -> list[str]:
        """The applicant's email address (lower-cased) and phone number (E.164, as validated)."""
        keys = [identity.contact_key(self.pepper, "phone", phone)]
        if email:
            keys.insert(0, identity.contact_key(self.pepper, "email",
                                                identity.normalize_email(email)))
        return keys

    def first_seats(self, contact_keys: list[str]) -> list[str]:
        """Seat 0 of each contact: free for nearly everyone, and taken on condition that it is
        free, so trying it first needs no read (`pick` reads once it turns out taken)."""
        return [f"{contact}#0" for contact in contact_keys]

    def pick(self, contact_keys: list[str], now: datetime) -> list[str]:
        """A free seat ("<key>#<n>") of each contact, or `contact_limit_reached`. The read only
        chooses: two bookings that chose the same seat cannot both take it, and the loser looks
        again. A seat whose holder has started is free: a visit that is over stops counting."""
        chosen = []
        for contact in contact_keys:
            held = {s.seat for s in self.repo.contact_seats(contact)
                    if s.confirmation_number and s.active_start and s.active_start >= now}
            free = next((n for n in range(self.limit) if n not in held), None)
            if free is None:
                raise errors.ContactLimitReached(
                    f"At most {self.limit} upcoming appointments may share one email address "
                    "or phone number.", limit=self.limit)
            chosen.append(f"{contact}#{free}")
        return chosen
