"""The deployed stages as `.chalice/config.json` declares them, and the region each deploys to.

Chalice has no region key: the region is part of the stage's name (`prod-us-west-2` deploys to
us-west-2); stages whose name carries no region are listed in `_NAMED_REGIONS`. `make package`
and `make deploy` export that region as AWS_DEFAULT_REGION / pass it as --region.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"

# Stages that are never packaged: `local` is the embedded stack (`make run`).
LOCAL_STAGES = frozenset({"local"})
_NAMED_REGIONS = {"dev": "us-east-1"}
_REGION = re.compile(r"(?:^|-)((?:us|eu|ap|ca|sa|me|af|il|mx)-[a-z]+-\d)$")
# Multi-Region strong consistency (the person-claims table) needs three Regions of one region
# set: two replicas (the prod stages' regions) and a witness that holds no readable copy.
MRSC_WITNESS_REGION = "us-east-2"


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
    def table_prefix(self) -> str:
        """Tables are named `<table prefix>-<short name>`: the stage's own prefix, or the one
        its regions share (`TABLE_PREFIX`, e.g. `infopass-prod`) when they are global tables."""
        return self.env.get("TABLE_PREFIX", self.prefix)

    @property
    def region_urls(self) -> dict[str, str]:
        """`REGION_URLS`: every region's API base URL (its custom domain); empty in one region."""
        return json.loads(self.env.get("REGION_URLS") or "{}")

    @property
    def data_set(self) -> "DataSet | None":
        """The global tables this stage shares with stages in other regions; None when the
        stage is alone with its tables (dev): they are then ordinary tables of its own stack."""
        return data_set_of(self)

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
        names: dict[str, Any] = {"resource_prefix": self.prefix,
                                 "table_prefix": self.table_prefix}
        # The person claims' table has its own setting once the claims context reads it (#16).
        if "claims_table" in {f.name for f in fields(Settings)}:
            names["claims_table"] = self.claims_table
        return Settings(stage=self.name, region=self.region, aws_endpoint_url=None, **names)

    @property
    def claims_table(self) -> str:
        """`CLAIMS_TABLE`: the same name in every region of a data set; else by the prefix."""
        return self.env.get("CLAIMS_TABLE") or f"{self.table_prefix}-claims"

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


@dataclass(frozen=True)
class DataSet:
    """One set of DynamoDB global tables shared by the stages whose TABLE_PREFIX is the same,
    each in its own region: the regional tables (multi-Region eventual consistency, every
    table of `chalicelib.tables`) and the person claims (multi-Region strong consistency).

    They live in their own stack, `<prefix>-data`, deployed in every region of the set before
    the stages' stacks: in each region it holds the tables' KMS key (a replica can only use a
    key of its own region); in the primary region (the region of the set's first stage in
    `.chalice/config.json`) it also holds the global tables, whose replicas CloudFormation
    creates in the other regions. A stage's stack names the tables, never creates them."""
    prefix: str
    stages: tuple[str, ...]
    regions: tuple[str, ...]
    production: bool

    @property
    def primary_region(self) -> str:
        return self.regions[0]

    @property
    def stack_name(self) -> str:
        return f"{self.prefix}-data"

    @property
    def key_alias(self) -> str:
        return f"alias/{self.prefix}-tables"

    @property
    def witness_region(self) -> str:
        return MRSC_WITNESS_REGION

    @property
    def deploy_order(self) -> tuple[str, ...]:
        """Every other region's key first: the primary's global tables name them."""
        return tuple(r for r in self.regions if r != self.primary_region) + (self.primary_region,)


def data_set_of(stage: Stage) -> DataSet | None:
    """The deployed stages with the stage's TABLE_PREFIX, if they are in more than one region."""
    sharing = [s for s in map(load, deployed()) if s.table_prefix == stage.table_prefix]
    regions = tuple(dict.fromkeys(s.region for s in sharing))
    if len(regions) < 2:
        return None
    if len(regions) != len(sharing):
        raise ValueError(f"stages {[s.name for s in sharing]} share TABLE_PREFIX "
                         f"{stage.table_prefix!r} but not one region each")
    return DataSet(prefix=stage.table_prefix, stages=tuple(s.name for s in sharing),
                   regions=regions, production=all(s.production for s in sharing))


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
