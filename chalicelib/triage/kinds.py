"""Notice kinds of the `service_request` subject (what the requester is told, and when)."""
RECEIVED = "service_request_received"
DEADLINE_MISSED = "callback_deadline_missed"
UNREACHABLE = "callback_attempts_failed"
RESOLVED = "service_request_resolved"
DENIED = "service_request_denied"
APPEAL_RECEIVED = "appeal_received"
APPEAL_DECIDED = "appeal_decided"
TRANSFERRED = "service_request_transferred"
URGENCY_CHANGED = "urgency_changed"
CALLBACK_SCHEDULED = "callback_scheduled"
NOTICE_KINDS = (RECEIVED, DEADLINE_MISSED, UNREACHABLE, RESOLVED, DENIED, APPEAL_RECEIVED,
                APPEAL_DECIDED, TRANSFERRED, URGENCY_CHANGED, CALLBACK_SCHEDULED)
CALLBACK_WINDOW_MINUTES = 60  # the requester is told "between <time> and <time + this>"
