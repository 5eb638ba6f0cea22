"""The deadline watch (scheduled job): every open state has a deadline, and none passes
unnoticed. Near the end the office's queue is reminded; past it the request is flagged to the
office's supervisors, the requester is told and given a new date; after
`breaches_before_escalation` missed deadlines it goes to the headquarters view, and its date no
longer rolls forward: it stays overdue, in sight, until someone acts on it."""
from __future__ import annotations

from datetime import datetime

from chalicelib import errors
from chalicelib.booking import offices
from chalicelib.triage import deadlines, workflow
from chalicelib.triage.domain import SYSTEM, ServiceRequest, iso_utc
from chalicelib.triage.kinds import DEADLINE_MISSED
from chalicelib.triage.steps import Change, Moot, Mutation, StepCore, log


def owed(r: ServiceRequest) -> str | None:
    return workflow.expectation(r.status, r.reached_at is not None, r.appointment is not None)


class DeadlineWatch(StepCore):
    def watch_deadlines(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Safe to run late or twice: each write is conditional on the version and deadline it
        saw. Never closes or rejects a request."""
        now = self.clock()
        counts = {"reminded": 0, "breached": 0, "escalated": 0, "skipped": 0}
        chosen = set(office_ids) if office_ids else None
        # Another region's offices are watched by their home stage (the table may replicate).
        served = {office["id"] for office in offices.home_offices()}
        # One index over every office: a run with nothing due is one request, not one per office.
        for seen in self.repo.watched_due_before(now + self.policy.reminder_before):
            if (chosen is not None and seen.office_id not in chosen) \
                    or seen.office_id not in served or owed(seen) is None:
                continue
            if deadlines.is_past(seen.due_at, now):
                if seen.breached_for == iso_utc(seen.due_at):
                    continue  # escalated and held overdue: already seen
                counts[self._breach(seen)] += 1
            elif deadlines.is_near(seen.due_at, now, self.policy) \
                    and seen.reminded_for != iso_utc(seen.due_at):
                counts[self._remind(seen)] += 1
        return counts

    def _new_date(self, r: ServiceRequest, at: datetime):
        if owed(r) == workflow.CALLBACK:
            return deadlines.new_date_after_breach(r.level, at, r.timezone, self.policy)
        # A decision, an appeal decision or a visit already late: the short rule, not the
        # original length again.
        return deadlines.add_business_days(deadlines.local_day(at, r.timezone),
                                           self.policy.decision_business_days)

    def _breach(self, seen: ServiceRequest) -> str:
        outcome = {"done": "breached"}

        def change(r: ServiceRequest, at: datetime) -> Change:
            if r.due_at != seen.due_at or owed(r) != owed(seen):
                raise Moot()
            breach = {"at": iso_utc(at), "missed_due_on": r.due_on.isoformat(),
                      "expecting": owed(r), "version": r.version + 1}
            r.supervisor_flag = {"reason": "deadline_missed", "expecting": owed(r),
                                 "at": iso_utc(at)}
            if len(r.breaches) + 1 >= self.policy.breaches_before_escalation:
                # Held overdue in the headquarters view: no new date, no silent roll-forward.
                r.escalation = {"to": "headquarters", "at": iso_utc(at),
                                "breaches": len(r.breaches) + 1}
                r.breached_for = iso_utc(r.due_at)
                breach["new_due_on"] = None
                outcome["done"] = "escalated"
            else:
                new_on = self._new_date(r, at)
                breach["new_due_on"] = new_on.isoformat()
                deadlines.expect(r, new_on)
            r.breaches.append(breach)
            return Change(reason_code="deadline_missed", notice=DEADLINE_MISSED)
        done = self._system_step(seen, "deadline_missed", change, "breached")
        return outcome["done"] if done == "breached" else done

    def _remind(self, seen: ServiceRequest) -> str:
        def change(r: ServiceRequest, at: datetime) -> Change:
            if r.due_at != seen.due_at or owed(r) != owed(seen):
                raise Moot()
            r.reminded_for = iso_utc(r.due_at)
            return Change(reason_code="deadline_near")
        return self._system_step(seen, "deadline_reminder", change, "reminded")

    def _system_step(self, seen: ServiceRequest, step: str, change: Mutation, done: str) -> str:
        try:
            self._step(SYSTEM, seen.request_id, step, change)
        except (Moot, errors.InvalidTransition, errors.ConcurrentUpdate):
            return "skipped"  # someone acted on it meanwhile; the next run looks again
        log.info("deadline watch", extra={"step": step, "office_id": seen.office_id,
                                          "urgency": seen.level})
        return done
