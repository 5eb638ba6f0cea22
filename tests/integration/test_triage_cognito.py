"""The deployed stages' verifier (Cognito ID tokens, keys from the pool's JWKS through PyJWT's
PyJWKClient) against a JWKS served on 127.0.0.1, as Cognito serves it."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import errors
from chalicelib.staff.auth import CognitoVerifier
from local.token import mint

CLIENT_ID = "5r3kq0examplestaffclient"


def private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def pool():
    """A fake user pool: its issuer URL, its signing key, and how often its JWKS was fetched."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="infopass-dev-1", alg="RS256", use="sig")
    fetches = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetches.append(self.path)
            if self.path.endswith("/.well-known/jwks.json"):
                body = json.dumps({"keys": [jwk]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}/us-east-1_TESTPOOL"
    yield {"issuer": issuer, "key": private_pem(key), "fetches": fetches}
    server.shutdown()


def cognito_token(pool, **changes):
    claims = {"issuer": pool["issuer"], "audience": CLIENT_ID, "key": pool["key"], **changes}
    return mint("tier2", "hartford", "7f3c-officer", **claims)


def test_a_pool_token_is_verified_with_the_pools_published_key(pool):
    verifier = CognitoVerifier(pool["issuer"], CLIENT_ID)
    identity = verifier.verify(cognito_token(pool))
    assert identity.subject == "7f3c-officer" and identity.roles == {"tier2"}
    assert identity.office_id == "hartford"
    before = len(pool["fetches"])
    verifier.verify(cognito_token(pool))
    assert len(pool["fetches"]) == before  # the keys are cached in a warm container


@pytest.mark.parametrize("changes,error", [
    ({"minutes": -5}, errors.TokenExpired),
    ({"audience": "another-app-client"}, errors.InvalidToken),
    ({"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER"},
     errors.InvalidToken),
    ({"token_use": "access"}, errors.InvalidToken),
])
def test_pool_tokens_for_someone_else_or_expired_are_rejected(pool, changes, error):
    with pytest.raises(error):
        CognitoVerifier(pool["issuer"], CLIENT_ID).verify(cognito_token(pool, **changes))


def test_a_token_signed_by_another_key_is_rejected(pool):
    impostor = private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(errors.InvalidToken):
        CognitoVerifier(pool["issuer"], CLIENT_ID).verify(cognito_token(pool, key=impostor))


def test_the_development_key_means_nothing_to_a_deployed_stage(pool):
    with pytest.raises(errors.InvalidToken):
        CognitoVerifier(pool["issuer"], CLIENT_ID).verify(mint("tier2", "hartford"))


def test_an_unreachable_pool_rejects_instead_of_failing(pool):
    verifier = CognitoVerifier("http://127.0.0.1:9/us-east-1_GONE", CLIENT_ID)
    with pytest.raises(errors.InvalidToken):
        verifier.verify(cognito_token(pool))
