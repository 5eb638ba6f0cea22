"""`python -m chalicelib.offices.move OFFICE --to REGION`: move an office's home to another
region (README "Regions", the runbook). Operators run it with credentials for every region.

    python -m chalicelib.offices.move seattle --to us-east-1 \
        --region us-east-1 --region us-west-2 --prefix infopass-prod
    python -m chalicelib.offices.move seattle --resume ...   # lift a fence a failed move left
    python -m chalicelib.offices.move --failover us-west-2 --to us-east-1 \
        --region us-east-1 --prefix infopass-prod --claims-table infopass-prod-claims

A move also makes the office's active person claims name the new home (`--claims-table`).
Local stacks (two moto servers, no global tables) add `--endpoint REGION=URL` for each region,
`--claims-endpoint URL` for the shared claims server and `--copy`, which copies the office's
items to the new home as replication would.
"""
from __future__ import annotations

import argparse
import json
import sys

from chalicelib import settings as _settings
from chalicelib.offices.placement import MoveFailed, OfficeMove
from chalicelib.offices.placement_store import ClaimsTable, RegionTables


def main(argv: list[str] | None = None) -> int:
    s = _settings.settings
    parser = argparse.ArgumentParser(prog="python -m chalicelib.offices.move",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("office_id", nargs="?")
    parser.add_argument("--to", help="the region that will serve the office")
    parser.add_argument("--resume", action="store_true",
                        help="lift the fence of a failed move (the office stays where it was)")
    parser.add_argument("--region", action="append", required=True,
                        help="every region of the deployment (repeat)")
    parser.add_argument("--endpoint", action="append", default=[],
                        help="REGION=URL: a local stand-in for a region's DynamoDB")
    parser.add_argument("--prefix", action="append", default=[],
                        help="the tables' name prefix (global tables: one for every region), "
                             "or REGION=PREFIX for each region (local stacks)")
    parser.add_argument("--fence-seconds", type=float, default=s.move_fence_seconds)
    parser.add_argument("--failover", metavar="LOST_REGION",
                        help="unplanned: move every office of a lost region to --to")
    parser.add_argument("--claims-table", default=s.claims_table_name())
    parser.add_argument("--claims-endpoint", default=None,
                        help="local stacks: the shared claims server")
    parser.add_argument("--copy", action="store_true",
                        help="local stacks only: copy the office's items to the new home")
    args = parser.parse_args(argv)
    endpoints = dict(e.split("=", 1) for e in args.endpoint)
    prefixes = dict(p.split("=", 1) for p in args.prefix if "=" in p)
    shared = next((p for p in args.prefix if "=" not in p), s.table_prefix)
    regions = {r: RegionTables(r, prefixes.get(r, shared), endpoints.get(r)) for r in args.region}
    replicate = None
    if args.copy:
        from local.replicate import copy_office
        replicate = lambda office, source, target: copy_office(  # noqa: E731
            office, regions[source], regions[target])
    move = OfficeMove(regions, args.fence_seconds, replicate=replicate,
                      log=lambda line: print(line, file=sys.stderr))
    default_home = s.region
    try:
        if args.failover:
            if not args.to:
                parser.error("--failover needs --to REGION")
            claims = ClaimsTable(args.to, args.claims_table, args.claims_endpoint)
            result = move.failover(args.failover, args.to, default_home, claims)
        elif not args.office_id:
            parser.error("name the office to move (or --failover LOST_REGION)")
        elif args.resume:
            result = move.resume(args.office_id, default_home)
        elif args.to:
            claims = ClaimsTable(args.to, args.claims_table, args.claims_endpoint)
            result = move.move(args.office_id, args.to, default_home, claims)
        else:
            parser.error("--to REGION or --resume")
    except MoveFailed as failed:
        print(f"move failed: {failed}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
