"""Prints a staff token for the local stack and the tests, signed with the development key.

    make -s token ROLE=tier2 OFFICE=hartford        # the token is the last line
    .venv/bin/python -m local.token --role supervisor --office boston --sub sup-1 --minutes 60

Only the local and test stages trust this key (see chalicelib/staff/auth.py); deployed stages
verify Cognito tokens. The claims have Cognito's ID-token shape: `cognito:groups` for the role,
`custom:office_id` for the office.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

from chalicelib.staff import auth, roles

PRIVATE_KEY = Path(__file__).parent / "dev_staff_key.pem"


def mint(role: str | None, office_id: str | None = None, subject: str | None = None,
         minutes: int = 480, now: float | None = None, issuer: str = auth.DEV_ISSUER,
         audience: str = auth.DEV_AUDIENCE, key: bytes | None = None,
         token_use: str = "id", groups: list[str] | None = None) -> str:
    import jwt

    issued = int(now if now is not None else time.time())
    claims = {"sub": subject or f"dev-{role}-{uuid.uuid4().hex[:8]}", "iss": issuer,
              "aud": audience, "token_use": token_use, "iat": issued, "auth_time": issued,
              "exp": issued + minutes * 60,
              auth.GROUPS_CLAIM: groups if groups is not None else ([role] if role else [])}
    if office_id:
        claims[auth.OFFICE_CLAIM] = office_id
    return jwt.encode(claims, key or PRIVATE_KEY.read_bytes(), algorithm="RS256",
                      headers={"kid": auth.DEV_KEY_ID})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", required=True, choices=roles.STAFF_ROLES)
    parser.add_argument("--office", default="", help="office id (tier2, supervisor, front_desk and office_admin need one)")
    parser.add_argument("--sub", default="", help="subject (staff id); random when left out")
    parser.add_argument("--minutes", type=int, default=480)
    args = parser.parse_args(argv)
    if args.role in roles.OFFICE_BOUND and not args.office:
        print(f"note: a {args.role} token without OFFICE gets 403 on office-bound routes",
              file=sys.stderr)
    print(mint(args.role, args.office or None, args.sub or None, args.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
