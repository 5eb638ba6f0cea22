"""`.chalice/config.json`: one local stage and the deployed stages, each with its own region,
names and settings that the app actually reads."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib import queues
from infra import stages

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = stages.deployed()
SETTINGS_SOURCE = (ROOT / "chalicelib" / "settings.py").read_text()


def test_there_is_a_local_stage_a_dev_stage_and_two_production_regions():
    assert set(CONFIG["stages"]) >= {"local", "dev", "prod-us-east-1", "prod-us-west-2"}
    assert CONFIG["autogen_policy"] is False
    assert CONFIG["stages"]["local"]["environment_variables"]["STAGE"] == "local"


@pytest.mark.parametrize("name,region", [("dev", "us-east-1"), ("prod-us-east-1", "us-east-1"),
                                         ("prod-us-west-2", "us-west-2"),
                                         ("prod-eu-central-1", "eu-central-1")])
def test_the_region_of_a_stage_comes_from_its_name(name, region):
    assert stages.region_of(name) == region


def test_a_stage_without_a_region_in_its_name_is_refused():
    with pytest.raises(ValueError, match="names no AWS region"):
        stages.region_of("staging")


def test_each_deployed_stage_has_its_own_resource_prefix_and_policy_file():
    loaded = [stages.load(name) for name in STAGES]
    assert len({s.prefix for s in loaded}) == len(loaded)
    assert len({s.policy_file for s in loaded}) == len(loaded)
    for stage in loaded:
        assert re.fullmatch(r"infopass-[a-z0-9-]+", stage.prefix) and len(stage.prefix) <= 24
        assert stage.config["autogen_policy"] is False
        assert stage.policy_file.exists()


@pytest.mark.parametrize("name", STAGES)
def test_names_in_the_environment_belong_to_the_stage_and_its_region(name):
    stage = stages.load(name)
    env = stage.env
    assert env["STAGE"] == name
    assert env["NOTICES_QUEUE_URL"] == (
        f"https://sqs.{stage.region}.amazonaws.com/${{AWS::AccountId}}/"
        f"{queues.NOTICES.name(stage.settings)}")
    assert env["COGNITO_ISSUER"] == \
        f"https://cognito-idp.{stage.region}.amazonaws.com/${{StaffUserPool}}"
    assert env["SES_CONFIGURATION_SET"].startswith(stage.prefix)
    # The person key's pepper: one per set of tables (the prod regions share theirs, so one
    # person has one key nationwide).
    assert env["IDENTITY_PEPPER"] == \
        f"{{{{resolve:secretsmanager:{stage.table_prefix}/identity-pepper}}}}"
    others = [stages.load(other) for other in STAGES if other != name]
    for value in env.values():
        assert not any(o.prefix + "-" in value for o in others if o.prefix != stage.prefix)


@pytest.mark.parametrize("name", STAGES)
def test_every_environment_variable_of_a_stage_is_a_setting_the_app_reads(name):
    for variable in stages.load(name).env:
        assert f'"{variable}"' in SETTINGS_SOURCE, f"{variable} is not read by chalicelib/settings.py"


# Settings a deployed stage never sets: the runtime provides the region, and only the local
# stack and tests point at an endpoint.
NOT_PER_STAGE = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "CLAIMS_ENDPOINT_URL",
                 "CLAIMS_REGION"}
# Set only by stages that share their tables with other regions (#16); a single-region stage
# (dev) is every office's home (no moves) and names its claims table by its prefix.
MULTI_REGION_ONLY = {"REGION_URLS", "CLAIMS_TABLE", "MOVE_FENCE_SECONDS"}


@pytest.mark.parametrize("name", STAGES)
def test_every_setting_the_app_reads_is_chosen_explicitly_by_each_deployed_stage(name):
    read = set(re.findall(r'(?:environ\.get|_int|_float|_bool)\(\s*"([A-Z][A-Z0-9_]+)"',
                          SETTINGS_SOURCE))
    stage = stages.load(name)
    optional = NOT_PER_STAGE | (set() if stage.data_set else MULTI_REGION_ONLY)
    missing = sorted(read - optional - set(stage.env))
    assert read and missing == [], f"add {missing} to {name} in .chalice/config.json"


@pytest.mark.parametrize("name", STAGES)
def test_stage_settings_parse_into_the_apps_settings(name, monkeypatch):
    from chalicelib.settings import Settings

    stage = stages.load(name)
    for variable, value in stage.env.items():
        monkeypatch.setenv(variable, value)
    settings = Settings()
    assert settings.stage == name and settings.resource_prefix == stage.prefix
    assert settings.booking_window_days > 0 and settings.change_cutoff_hours > 0
    if stage.production:
        # Once every six months, the agency's rule; dev may shorten it for testers.
        assert settings.min_interval_days == 180


@pytest.mark.parametrize("name", STAGES)
def test_lambda_sizes_and_reserved_concurrency_are_set_per_stage(name):
    stage = stages.load(name)
    config = stage.config
    assert config["lambda_memory_size"] >= 256 and config["lambda_timeout"] <= 30
    api = config["lambda_functions"]["api_handler"]
    # API Gateway gives up after 29 s; the handler must answer first.
    assert api["lambda_timeout"] < 29
    if stage.production:
        assert api["reserved_concurrency"] > 0
        assert config["lambda_functions"]["generate_slots"]["reserved_concurrency"] == 1
    assert config["tags"]["stage"] == name and config["log_retention_in_days"] >= 365
