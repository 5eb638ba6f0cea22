"""Every route in the Chalice route table declares its contract (chalicelib/contract.py), and
the declarations are checked against what the views answer."""
import json

import pytest
from chalice import Response

from app import app
from chalicelib import contract
from chalicelib.booking import responses


def _routes():
    return [(path, method, entry) for path, methods in app.routes.items()
            for method, entry in methods.items() if not contract.is_preflight(entry.view_function)]


def test_every_route_in_the_route_table_declares_its_contract():
    undeclared = [f"{method} {path} ({entry.view_name})" for path, method, entry in _routes()
                  if contract.declaration(entry.view_function) is None]
    assert not undeclared, (
        "routes without @contract.operation(...) (see chalicelib/contract.py): "
        + ", ".join(undeclared))


def test_staff_routes_and_only_they_carry_the_staff_authorizer_and_role_check():
    for path, method, entry in _routes():
        has_roles = bool(getattr(entry.view_function, "staff_roles", None))
        assert has_roles == (entry.authorizer is not None), f"{method} {path}"
        assert path.startswith("/v1/staff/") == has_roles, f"{method} {path}"


def test_operation_ids_are_unique():
    names = [entry.view_name for _, _, entry in _routes()]
    assert len(names) == len(set(names))


def test_a_body_that_does_not_fit_its_model_is_a_violation():
    declared = contract.Operation("x", {200: responses.Health})
    contract.check(declared, {"status": "ok"}, staff=False)
    with pytest.raises(contract.ContractViolation, match="Health"):
        contract.check(declared, {"status": "ok", "extra": 1}, staff=False)
    with pytest.raises(contract.ContractViolation, match="201"):
        contract.check(declared, Response({"status": "ok"}, status_code=201), staff=False)


def test_an_undeclared_problem_code_is_a_violation_and_common_ones_are_implied():
    declared = contract.Operation("x", {200: None}, problems={404: ["unknown_office"]})
    def problem(status, code):
        return Response(json.dumps({"code": code, "status": status}), status_code=status)
    contract.check(declared, problem(404, "unknown_office"), staff=False)
    contract.check(declared, problem(401, "missing_token"), staff=True)
    with pytest.raises(contract.ContractViolation, match="make openapi"):
        contract.check(declared, problem(409, "already_booked"), staff=False)
    with pytest.raises(contract.ContractViolation):
        contract.check(declared, problem(401, "missing_token"), staff=False)


def test_a_violation_fails_loudly_in_tests_and_is_only_logged_in_deployed_stages(monkeypatch,
                                                                                 caplog):
    from chalicelib import settings as config

    @contract.operation("x", responses={200: responses.Health})
    def broken():
        return {"status": "broken"}

    with pytest.raises(contract.ContractViolation):
        broken()
    monkeypatch.setattr(config, "settings", config.Settings(stage="prod-us-east-1"))
    assert broken().body == {"status": "broken"}
    assert "contract violation" in caplog.text
