"""Lambda SnapStart (the API function; `infra/snapstart.py` turns it on): the work done once
before Lambda snapshots an initialized container, and what each restored copy redoes.

Before the snapshot (`warm_up`): the shared DynamoDB connection with its botocore client (the
service model parsed and the endpoint resolved, no request sent, so no socket is captured), the
table models bound to it, the modules the routes import on first use, every language's catalog
and locale data, the ZIP table, and the validators of every pydantic model (they are built on
first use otherwise: `defer_build`). Nothing there depends on a request or on the clock.

After a restore (`refresh`): many containers resume from one snapshot, so nothing in it may be
unique or secret. Confirmation numbers, request ids and hold ids come from `secrets`
(os.urandom) at call time; Python's `random` (the notices' retry jitter, botocore's retry backoff) is reseeded
from os.urandom, else every restored copy would draw the same numbers; the settings are read
again and every service built from them (those holding the identity pepper among them) is built
anew on first use, so no pepper from snapshot time is used after a restore and a pepper
rotated with the function's configuration is picked up.

Outside Lambda's Python runtime (tests, `chalice local`) `snapshot_restore_py` is missing and
`register` does nothing; on an on-demand (not SnapStart) start the hooks never run, so a cold
start there still loads only what its request needs.
"""
from __future__ import annotations

import importlib

# What the routes import on first use (each context's factory in `wiring`, body models, the
# problem renderer): loaded before the snapshot instead of on a restored container's first
# request. Every name must import from the deployment zip (tests/unit/test_snapstart.py).
REQUEST_MODULES = (
    "chalicelib.booking.service", "chalicelib.booking.repository",
    "chalicelib.booking.hold_repository", "chalicelib.booking.generation_repository",
    "chalicelib.booking.notices", "chalicelib.booking.holds", "chalicelib.booking.release",
    "chalicelib.booking.validation", "chalicelib.booking.representation",
    "chalicelib.booking.claims", "chalicelib.booking.claim_repository",
    "chalicelib.limits.service", "chalicelib.limits.repository",
    "chalicelib.waitlist.service", "chalicelib.waitlist.repository",
    "chalicelib.waitlist.notices", "chalicelib.waitlist.validation",
    "chalicelib.triage.service", "chalicelib.triage.repository", "chalicelib.triage.events",
    "chalicelib.triage.validation",
    "chalicelib.offices.service", "chalicelib.offices.repository", "chalicelib.offices.roster",
    "chalicelib.offices.assisted", "chalicelib.offices.validation",
    "chalicelib.performance.service", "chalicelib.performance.repository",
    "chalicelib.notices.events",
    "chalicelib.staff.auth",
    "babel.dates", "babel.messages.pofile",
)


def warm_up() -> None:
    """Before the snapshot: everything a request would otherwise load, nothing it would send."""
    from chalicelib import aws, i18n, tables, zips
    from chalicelib.observability import configure_logging

    for name in REQUEST_MODULES:
        importlib.import_module(name)
    configure_logging()
    connection = aws.dynamodb()
    connection.client  # noqa: B018 - builds the botocore client (service model, endpoint)
    for model in tables.all_tables():
        model._get_connection()
    for language in i18n.LANGUAGES:
        i18n.Translator(language)
    zips.lookup("02108")
    for model in pydantic_models():
        model.model_rebuild()  # the validators that `defer_build` leaves to first use


def pydantic_models() -> list[type]:
    """Every pydantic model the app defines (request, parameter and response models)."""
    from pydantic import BaseModel

    found, pending = [], list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("chalicelib."):
            found.append(model)
    return found


def refresh() -> None:
    """After a restore: fresh entropy and settings, services rebuilt from them on first use."""
    import random

    from chalicelib import settings, wiring

    random.seed()  # from os.urandom
    settings.reload()
    wiring.forget_services()


def register() -> None:
    """Registers the hooks with Lambda's runtime when there is one (called by app.py)."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:  # not Lambda's Python runtime
        return
    register_before_snapshot(warm_up)
    register_after_restore(refresh)
