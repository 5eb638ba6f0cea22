"""Lambda SnapStart hooks (chalicelib/snapstart.py): many containers resume from one snapshot,
so nothing random or secret may come from it. A restore is modelled by putting the process's
`random` state back to what it was at snapshot time, once per restored container."""
from __future__ import annotations

import random
import sys
import types

import pytest

from chalicelib import settings, snapstart, wiring
from chalicelib.booking import domain as booking_domain
from chalicelib.booking import holds
from chalicelib.triage import domain as triage_domain

PEPPER_SERVICES = (wiring.limiter, wiring.booking_service, wiring.hold_service,
                   wiring.waitlist_service, wiring.triage_service)


@pytest.fixture
def pepper(monkeypatch):
    monkeypatch.setenv("IDENTITY_PEPPER", "pepper-at-snapshot-time")
    wiring.rewire()
    yield monkeypatch
    monkeypatch.undo()
    wiring.rewire()


def restored_twice(draw) -> list:
    """What `draw` gives in two containers restored from one snapshot (the `random` state as it
    was after the before-snapshot hook), each after the after-restore hook."""
    snapstart.warm_up()
    snapshot = random.getstate()
    seen = []
    for _ in range(2):
        random.setstate(snapshot)
        snapstart.refresh()
        seen.append(draw())
    return seen


def test_two_containers_restored_from_one_snapshot_draw_different_random_numbers(pepper):
    first, second = restored_twice(lambda: [random.random() for _ in range(4)])
    assert first != second


def test_confirmation_numbers_and_ids_do_not_come_from_the_snapshotted_random_state(pepper):
    snapshot = random.getstate()
    made = []
    for _ in range(2):
        random.setstate(snapshot)  # no reseed: they must not depend on `random` at all
        made.append((booking_domain.new_confirmation_number(), triage_domain.new_request_id(),
                     holds.new_hold_id()))
    assert made[0][0] != made[1][0]
    assert made[0][1] != made[1][1]
    assert made[0][2] != made[1][2]


def test_the_before_snapshot_hook_builds_no_service_that_holds_the_identity_pepper(pepper):
    snapstart.warm_up()
    assert [f.__name__ for f in PEPPER_SERVICES if f.cache_info().currsize] == []


def test_services_after_a_restore_key_with_the_pepper_read_after_it(pepper):
    snapstart.warm_up()
    wiring.booking_service()  # as if something had built it before the snapshot
    assert wiring.limiter().pepper == "pepper-at-snapshot-time"
    pepper.setenv("IDENTITY_PEPPER", "pepper-after-restore")
    snapstart.refresh()
    assert settings.settings.identity_pepper == "pepper-after-restore"
    assert wiring.booking_service().pepper == "pepper-after-restore"
    assert wiring.booking_service().contacts.pepper == "pepper-after-restore"
    assert wiring.limiter().pepper == "pepper-after-restore"
    assert wiring.triage_service().pepper == "pepper-after-restore"


def test_the_before_snapshot_hook_sends_no_request(pepper):
    import botocore.endpoint

    def refuse(*args, **kwargs):
        raise AssertionError("a request before the snapshot")

    pepper.setattr(botocore.endpoint.Endpoint, "_send", refuse)
    snapstart.warm_up()
    assert snapstart.REQUEST_MODULES[0] in sys.modules


def test_the_hooks_register_with_lambdas_runtime_library_when_it_is_there(monkeypatch):
    registered = {"before": [], "after": []}
    library = types.ModuleType("snapshot_restore_py")
    library.register_before_snapshot = registered["before"].append
    library.register_after_restore = registered["after"].append
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    snapstart.register()
    assert registered == {"before": [snapstart.warm_up], "after": [snapstart.refresh]}


def test_without_lambdas_runtime_library_registering_does_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    snapstart.register()


def test_the_before_snapshot_hook_builds_every_models_validator(pepper):
    import app  # noqa: F401 - Lambda imports the handler module before the hook runs

    snapstart.warm_up()
    models = snapstart.pydantic_models()
    assert len(models) > 50
    assert [m.__name__ for m in models if not m.__pydantic_complete__] == []
