"""Subjects a notice can be about, and their notice kinds. Contexts register themselves in their
own module; listing the module here makes every entry point (Lambda, local worker, tests) see it."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from chalicelib.notices.events import NoticeEvent
from chalicelib.notices.model import Content, NoticeData

# Modules that call `register` on import. Add yours (one line) to plug into the pipeline.
SUBJECT_MODULES = [
    "chalicelib.notices.appointments",
    "chalicelib.triage.notices",
    "chalicelib.waitlist.notices",
]

Loader = Callable[[str, int], "NoticeData | None"]
Render = Callable[[NoticeData, Any], "Content | None"]


@dataclass(frozen=True)
class Subject:
    name: str
    load: Loader
    kinds: dict[str, Render]
    # Called once a notice is settled (sent, undeliverable or skipped), and again for duplicates.
    sent: Callable[[str, str, int], None] | None = None
    # Events recorded but perhaps never published, recorded before `older_than`.
    outbox: Callable[[datetime], Iterable[NoticeEvent]] | None = None


_SUBJECTS: dict[str, Subject] = {}
_loaded = False


class UnknownSubject(LookupError):
    pass


def register(subject: Subject) -> Subject:
    _SUBJECTS[subject.name] = subject
    return subject


def _load_modules() -> None:
    global _loaded
    if not _loaded:
        for module in SUBJECT_MODULES:
            importlib.import_module(module)
        _loaded = True


def get(name: str) -> Subject:
    _load_modules()
    subject = _SUBJECTS.get(name)
    if subject is None:
        raise UnknownSubject(name)
    return subject


def all_subjects() -> list[Subject]:
    _load_modules()
    return list(_SUBJECTS.values())
