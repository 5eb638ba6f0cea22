"""The staff authorizer and role check that every blueprint with staff routes uses.

Staff routes carry the `staff_identity` custom authorizer (enforced by API Gateway, `chalice
local` and the test client alike) and the `staff(...)` decorator. The authorizer only establishes
who is calling: it lets every request through with its verdict in the request context, so that
the view answers 401 and 403 as problem+json with a stable code, like every other error. A request
without an Authorization header never reaches the authorizer; the gateway answers that 401
itself (problem+json through the deployed GatewayResponses and `local/gateway.py`).

    @api.route("/staff/...", authorizer=staff_identity)
    @handled
    @staff(TIER2, SUPERVISOR)
    def view(actor: Actor, ...): ...

This blueprint has no routes: app.py registers it so the authorizer's function is deployed.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from chalice import AuthResponse, Blueprint

from chalicelib import errors, problems
from chalicelib.staff import auth

api = Blueprint(__name__)


@api.authorizer(ttl_seconds=300)
def staff_identity(auth_request):
    principal, context = auth.context_for(auth.bearer(auth_request.token))
    return AuthResponse(routes=["*"], principal_id=principal, context=context)


def staff(*roles: str) -> Callable:
    """Admit staff holding one of `roles`; the view gets the acting `Actor` first."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            context = (api.current_request.context or {}).get("authorizer")
            try:
                actor = auth.actor_for(auth.identity_from_context(context), roles)
            except errors.Unauthenticated as error:
                response = problems.from_error(error)
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
            return view(actor, *args, **kwargs)
        wrapper.staff_roles = roles  # type: ignore[attr-defined]
        return wrapper
    return decorate
