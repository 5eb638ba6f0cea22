"""The deployed stages as `.chalice/config.json` declares them, and the region each deploys to.

Chalice has no region key: the region is part of the stage's name (`prod-us-west-2` deploys to
us-west-2); stages whose name carries no region are listed in `_NAMED_REGIONS`. `make package`
and `make deploy` export that region as AWS_DEFAULT_REGION / pass it as --region.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"

# Stages that are never packaged: `local` is the embedded stack (`make run`).
LOCAL_STAGES = frozenset({"local"})
_NAMED_REGIONS = {"dev": "us-east-1"}
_REGION = re.compile(r"(?:^|-)((?:us|eu|ap|ca|sa|me|af|il|mx)-[a-z]+-\d)$")


@dataclass(frozen=True)
class Profile:
    """What differs between production and non-production stages beyond config.json."""
    production: bool
    api_rate_limit: float      # steady requests per second across the stage
    api_burst_limit: int
    error_rate_threshold: float  # share of requests answered 5xx that pages someone


PROFILES = {
    True: Profile(production=True, api_rate_limit=100.0, api_burst_limit=200,
                  error_rate_threshold=0.02),
    False: Profile(production=False, api_rate_limit=10.0, api_burst_limit=20,
                   error_rate_threshold=0.10),
}


def _config() -> dict[str, Any]:
    return json.loads(CONFIG.read_text(encoding="utf-8"))


def region_of(name: str) -> str:
    if name in _NAMED_REGIONS:
        return _NAMED_REGIONS[name]
    match = _REGION.search(name)
    if not match:
        raise ValueError(f"stage {name!r} names no AWS region: call it prod-<region> "
                         "or add it to infra/stages.py _NAMED_REGIONS")
    return match.group(1)


@dataclass(frozen=True)
class Stage:
    name: str
    region: str
    config: dict[str, Any] = field(repr=False)

    @property
    def env(self) -> dict[str, str]:
        return dict(self.config.get("environment_variables", {}))

    @property
    def prefix(self) -> str:
        return self.env["RESOURCE_PREFIX"]

    @property
    def production(self) -> bool:
        return self.name.startswith("prod")

    @property
    def profile(self) -> Profile:
        return PROFILES[self.production]

    @property
    def api_gateway_stage(self) -> str:
        return self.config.get("api_gateway_stage", "api")

    @property
    def settings(self) -> Settings:
        """The names the app computes in this stage (tables, queues), without touching os.environ."""
        return Settings(stage=self.name, region=self.region, aws_endpoint_url=None,
                        resource_prefix=self.prefix,
                        claims_table=self.env.get("CLAIMS_TABLE", ""))

    @property
    def ses_identity(self) -> str:
        """The SES identity that authorizes the sender: its domain."""
        return self.env["SES_SENDER"].rsplit("@", 1)[1].rstrip(">")

    @property
    def policy_file(self) -> Path:
        return ROOT / ".chalice" / self.config.get("iam_policy_file", f"policy-{self.name}.json")

    @property
    def stack_name(self) -> str:
        return self.prefix


def load(name: str) -> Stage:
    stages = _config()["stages"]
    if name not in stages:
        raise KeyError(f"no stage {name!r} in .chalice/config.json")
    if name in LOCAL_STAGES:
        raise ValueError(f"stage {name!r} is the local stack; it is not packaged")
    return Stage(name=name, region=region_of(name), config=stages[name])


def deployed() -> list[str]:
    return [name for name in _config()["stages"] if name not in LOCAL_STAGES]


if __name__ == "__main__":
    import sys

    # `python -m infra.stages region STAGE` (the Makefile) or `python -m infra.stages list`.
    if sys.argv[1:2] == ["region"]:
        print(load(sys.argv[2]).region)
    elif sys.argv[1:2] == ["stack"]:
        print(load(sys.argv[2]).stack_name)
    else:
        print("\n".join(deployed()))
