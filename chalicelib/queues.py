"""Queue definitions: one source for the local stack and `infra/`."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib import settings as _settings


@dataclass(frozen=True)
class Queue:
    short_name: str
    max_receive_count: int = 5
    visibility_timeout: int = 180  # 6x the consumer's 30 s timeout
    retention_seconds: int = 4 * 24 * 3600
    dead_letter_retention_seconds: int = 14 * 24 * 3600

    def name(self, s: _settings.Settings | None = None) -> str:
        return (s or _settings.settings).resource_name(self.short_name)

    def dead_letter_name(self, s: _settings.Settings | None = None) -> str:
        return self.name(s) + "-dlq"


NOTICES = Queue("notices")
QUEUES = [NOTICES]
