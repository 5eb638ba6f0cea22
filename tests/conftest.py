"""Test environment: fake AWS credentials, never a real endpoint.

The environment is set before any project module is imported, because the tables bind to
the stage's names and endpoint on import.
"""
from __future__ import annotations

import os
import socket
from collections import Counter

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MOTO_PORT = _free_port()
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
    "STAGE": "test", "RESOURCE_PREFIX": "infopass-test",
})
os.environ.pop("AWS_PROFILE", None)



def _name_each_operation(items) -> None:
    """schemathesis makes one test per API operation, but pytest 9.2 builds a node id from a
    test's `originalname`, which schemathesis sets to the function's: all 58 shared one id.
    Each gets its operation as its parameter, as a parametrized test would."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and item.id.params is None:
            item._id = item.parent.id.child(item.originalname).with_params(label)


def pytest_collection_modifyitems(config, items):
    _name_each_operation(items)
    if hasattr(config, "workerinput"):  # the scheduler hands units out in this order
        items.sort(key=_longest_first)
    shared = [nodeid for nodeid, n in Counter(i.nodeid for i in items).items() if n > 1]
    if shared:
        # pytest-xdist and the reports key results by node id: tests under one id are counted
        # as one (a two-worker run reported 2 of schemathesis' 59 tests as passed).
        raise pytest.UsageError(f"tests share a node id: {shared[:5]}")


# --- workers (make test: pytest -n 3 --dist loadscope) ----------------------------------------
# A unit runs whole on one worker. The files of a tier whose session fixture starts something big
# (the e2e and browser tiers' local stack, the infra tier's packaging of every stage) are one
# unit; any other file is one (its module fixtures are set up once), including the files of those
# tiers that start their own (two-region stacks, a packaged stage of their own) or nothing.
# Units start longest first, so the last to finish is a short one.
_TIER_UNITS = ("tests/e2e/", "tests/browser/", "tests/infra/", "tests/clients/")
_OWN_UNITS = frozenset({
    "tests/e2e/test_office_home_e2e.py", "tests/e2e/test_person_claims_e2e.py",
    "tests/infra/test_deploy_script.py", "tests/infra/test_web_template.py",
    "tests/infra/test_stages.py", "tests/infra/test_policies.py"})
_LONGEST_FIRST = ("tests/infra/", "tests/e2e/", "tests/browser/", "tests/api/test_contract_fuzz.py",
                  "tests/e2e/test_office_home_e2e.py", "tests/infra/test_deploy_script.py",
                  "tests/e2e/test_person_claims_e2e.py")


def unit_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path in _OWN_UNITS:
        return path
    return next((tier for tier in _TIER_UNITS if path.startswith(tier)), path)


def _longest_first(item) -> int:
    unit = unit_of(item.nodeid)
    return _LONGEST_FIRST.index(unit) if unit in _LONGEST_FIRST else len(_LONGEST_FIRST)


@pytest.hookimpl(optionalhook=True)  # pytest -p no:xdist still runs
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return ByUnit(config, log)
