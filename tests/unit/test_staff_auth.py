"""Staff token verification and the authorizer's verdict, without any network."""
import time
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import errors
from chalicelib.settings import Settings
from chalicelib.staff import auth
from local.token import mint

VERIFIER = auth.DevelopmentVerifier(auth.DEV_PUBLIC_KEY.read_bytes())


def other_key() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def test_a_development_token_carries_subject_roles_and_office():
    identity = VERIFIER.verify(mint("tier2", "hartford", "officer-1"))
    assert identity.subject == "officer-1"
    assert identity.roles == {"tier2"} and identity.office_id == "hartford"


def test_unknown_groups_are_not_roles():
    identity = VERIFIER.verify(mint(None, None, "x", groups=["tier2", "admins", "root"]))
    assert identity.roles == {"tier2"}


@pytest.mark.parametrize("token,error", [
    (lambda: mint("tier2", "hartford", minutes=-1), errors.TokenExpired),
    (lambda: mint("tier2", "hartford", key=other_key()), errors.InvalidToken),
    (lambda: mint("tier2", "hartford", issuer="https://cognito-idp.example/other"),
     errors.InvalidToken),
    (lambda: mint("tier2", "hartford", audience="another-client"), errors.InvalidToken),
    (lambda: mint("tier2", "hartford", token_use="access"), errors.InvalidToken),
    (lambda: "a.b.c", errors.InvalidToken),
    (lambda: mint("tier2", "hartford")[:-4] + "AAAA", errors.InvalidToken),
])
def test_tokens_that_are_not_valid_now_are_rejected(token, error):
    with pytest.raises(error):
        VERIFIER.verify(token())


def test_a_token_signed_with_none_or_hs256_is_rejected():
    import jwt

    claims = {"sub": "x", "iss": auth.DEV_ISSUER, "aud": auth.DEV_AUDIENCE, "token_use": "id",
              "iat": int(time.time()), "exp": int(time.time()) + 60, "cognito:groups": ["tier2"]}
    for token in (jwt.encode(claims, None, algorithm="none"),
                  jwt.encode(claims, "a shared secret of at least 32 bytes!", algorithm="HS256")):
        with pytest.raises(errors.InvalidToken):
            VERIFIER.verify(token)


def test_development_tokens_are_trusted_only_locally_against_a_local_endpoint():
    assert auth.development_allowed(Settings(stage="test", aws_endpoint_url="http://127.0.0.1:1"))
    assert auth.development_allowed(Settings(stage="local", aws_endpoint_url="http://x:1"))
    assert not auth.development_allowed(Settings(stage="local", aws_endpoint_url=None))
    assert not auth.development_allowed(Settings(stage="prod-us-east-1",
                                                 aws_endpoint_url="http://x:1"))


def test_a_cognito_stage_without_its_pool_settings_rejects_every_token():
    verifier = auth.CognitoVerifier("", "")
    with pytest.raises(errors.InvalidToken):
        verifier.verify(mint("tier2", "hartford"))


@pytest.mark.parametrize("header,token", [
    ("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer   abc.def.ghi ", "abc.def.ghi"),
    ("abc.def.ghi", "abc.def.ghi"), ("", None), (None, None), ("Bearer ", None),
])
def test_the_bearer_token_is_taken_from_the_header(header, token):
    assert auth.bearer(header) == token


def test_the_verdict_travels_in_the_context_and_is_checked_again_in_the_view():
    principal, context = auth.context_for(mint("supervisor", "boston", "sup-1"), VERIFIER)
    assert principal == "sup-1" and context["verdict"] == "ok"
    assert all(isinstance(v, str) for v in context.values())
    identity = auth.identity_from_context(context)
    assert identity.roles == {"supervisor"} and identity.office_id == "boston"
    # API Gateway may serve a cached verdict after the token expired.
    later = datetime.fromtimestamp(int(context["exp"]) + 31, timezone.utc)
    with pytest.raises(errors.TokenExpired):
        auth.identity_from_context(context, later)


@pytest.mark.parametrize("context,error", [
    (None, errors.MissingToken), ({}, errors.MissingToken),
    ({"verdict": "missing_token"}, errors.MissingToken),
    ({"verdict": "invalid_token"}, errors.InvalidToken),
    ({"verdict": "token_expired"}, errors.TokenExpired),
    ({"verdict": "something else"}, errors.InvalidToken),
])
def test_a_rejected_verdict_is_a_401(context, error):
    with pytest.raises(error):
        auth.identity_from_context(context)


def test_the_acting_role_is_the_first_allowed_role_held():
    identity = auth.Identity("u", frozenset({"tier2", "supervisor"}), "boston", 0)
    assert auth.actor_for(identity, ("supervisor",)).role == "supervisor"
    assert auth.actor_for(identity, ("tier2", "supervisor")).role == "tier2"
    with pytest.raises(errors.RoleNotAllowed):
        auth.actor_for(identity, ("tier1",))
    with pytest.raises(errors.OtherOffice):
        auth.actor_for(auth.Identity("u", frozenset({"tier2"}), None, 0), ("tier2",))
    assert auth.actor_for(auth.Identity("u", frozenset({"tier1"}), None, 0), ("tier1",)).office_id \
        is None
