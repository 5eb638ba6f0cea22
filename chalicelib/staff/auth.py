"""Staff identity from bearer tokens (JWT, verified with PyJWT).

Deployed stages trust the staff Cognito user pool: signature against the pool's JWKS, issuer,
audience (the app client id), expiry, and an ID token (`token_use` = "id", which carries the
`cognito:groups` roles and the `custom:office_id` attribute). The local and test stages trust a
development key instead (`local/dev_staff_key.pem`, public on purpose), and only while they talk
to a local AWS endpoint, so a deployed function can never accept a development token.

PyJWT and its JWKS client are imported on first use: public routes never pay for them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from chalicelib import errors, settings as _settings
from chalicelib.staff import roles as staff_roles
from chalicelib.staff.identity import Actor, Identity

DEV_ISSUER = "https://infopass.local/dev-staff"
DEV_AUDIENCE = "infopass-local-staff"
DEV_KEY_ID = "infopass-dev-1"
DEV_PUBLIC_KEY = Path(__file__).parent / "dev_staff_key.pub.pem"
DEV_STAGES = frozenset({"local", "test"})
GROUPS_CLAIM = "cognito:groups"
OFFICE_CLAIM = "custom:office_id"
LEEWAY_SECONDS = 30  # clock skew between Cognito and Lambda


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Identity: ...


def _identity(claims: dict[str, Any]) -> Identity:
    groups = claims.get(GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    office = claims.get(OFFICE_CLAIM) or None
    return Identity(str(claims["sub"]), frozenset(g for g in groups if g in staff_roles.STAFF_ROLES),
                    office, int(claims["exp"]))


def _decode(token: str, key: Any, issuer: str, audience: str) -> Identity:
    import jwt

    try:
        claims = jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, audience=audience,
                            leeway=LEEWAY_SECONDS,
                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except jwt.ExpiredSignatureError:
        raise errors.TokenExpired() from None
    except jwt.PyJWTError:
        raise errors.InvalidToken() from None
    if claims.get("token_use") != "id":
        raise errors.InvalidToken("Use the ID token: it carries the groups and the office.")
    return _identity(claims)


class DevelopmentVerifier:
    def __init__(self, public_key_pem: bytes) -> None:
        self.key = public_key_pem

    def verify(self, token: str) -> Identity:
        return _decode(token, self.key, DEV_ISSUER, DEV_AUDIENCE)


class CognitoVerifier:
    def __init__(self, issuer: str, client_id: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._jwks = None

    def verify(self, token: str) -> Identity:
        import jwt

        if not self.issuer or not self.client_id:
            raise errors.InvalidToken("Staff sign-in is not configured for this stage.")
        if self._jwks is None:
            # Keys are cached in the client across invocations of a warm container.
            self._jwks = jwt.PyJWKClient(f"{self.issuer}/.well-known/jwks.json",
                                         cache_keys=True, lifespan=3600, timeout=5)
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise errors.InvalidToken("The staff sign-in keys could not be fetched.") from None
        except jwt.PyJWTError:
            raise errors.InvalidToken() from None
        return _decode(token, key, self.issuer, self.client_id)


def development_allowed(s: _settings.Settings) -> bool:
    return s.stage in DEV_STAGES and bool(s.aws_endpoint_url)


@lru_cache(maxsize=1)
def verifier() -> TokenVerifier:
    s = _settings.settings
    if development_allowed(s):
        return DevelopmentVerifier(DEV_PUBLIC_KEY.read_bytes())
    return CognitoVerifier(s.cognito_issuer, s.cognito_app_client_id)


def bearer(header_value: str | None) -> str | None:
    if not header_value:
        return None
    scheme, _, rest = header_value.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header_value.strip()
    return token or None


# --- the authorizer's verdict, carried to the view in the request context ----------------------

def context_for(token: str | None, v: TokenVerifier | None = None) -> tuple[str, dict[str, str]]:
    """(principal id, context) for API Gateway. API Gateway context values are strings."""
    if token is None:
        return "anonymous", {"verdict": "missing_token"}
    try:
        identity = (v or verifier()).verify(token)
    except errors.Unauthenticated as error:
        return "anonymous", {"verdict": error.code}
    return identity.subject, {"verdict": "ok", "sub": identity.subject,
                              "roles": ",".join(sorted(identity.roles)),
                              "office_id": identity.office_id or "",
                              "exp": str(identity.expires_at)}


_VERDICTS = {"missing_token": errors.MissingToken, "invalid_token": errors.InvalidToken,
             "token_expired": errors.TokenExpired}


def identity_from_context(context: dict | None, now: datetime | None = None) -> Identity:
    """The verified identity, or the 401 that explains why there is none. Expiry is checked
    again: API Gateway caches an authorizer's answer for a while."""
    if not context or "verdict" not in context:
        raise errors.MissingToken()
    verdict = context["verdict"]
    if verdict != "ok":
        raise _VERDICTS.get(verdict, errors.InvalidToken)()
    expires_at = int(context.get("exp") or 0)
    moment = (now or datetime.now(timezone.utc)).timestamp()
    if moment > expires_at + LEEWAY_SECONDS:
        raise errors.TokenExpired()
    roles = frozenset(r for r in (context.get("roles") or "").split(",") if r)
    return Identity(context["sub"], roles, context.get("office_id") or None, expires_at)


def actor_for(identity: Identity, allowed: tuple[str, ...]):
    """The role the caller acts in here: the first allowed role they hold. Tier 2 officers and
    supervisors (and front-desk staff) act for their own office only, so they need one."""
    role = next((r for r in allowed if r in identity.roles), None)
    if role is None:
        raise errors.RoleNotAllowed(f"This needs one of the roles: {', '.join(allowed)}.")
    if role in staff_roles.OFFICE_BOUND and not identity.office_id:
        raise errors.OtherOffice("No field office is assigned to this account.")
    return Actor(identity.subject, role, identity.office_id)
