"""The committed least-privilege policies: up to date with the definitions, scoped to the
stage's own resources, no wildcard resource where AWS allows a narrower one."""
from __future__ import annotations

import json

import pytest

from infra import policy, resources as r, stages

STAGES = stages.deployed()


def statements(name):
    return json.loads(stages.load(name).policy_file.read_text())["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("name", STAGES)
def test_the_committed_policy_is_what_the_definitions_generate(name):
    stage = stages.load(name)
    assert stage.policy_file.read_text() == policy.render(stage), \
        "stale policy: run `make policies` and commit .chalice/policy-*.json"


@pytest.mark.parametrize("name", STAGES)
def test_wildcard_resources_only_for_actions_aws_cannot_scope(name):
    for statement in statements(name):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= policy.UNSCOPABLE_ACTIONS, statement
        assert not any(action.endswith(":*") or action == "*"
                       for action in as_list(statement["Action"]))


@pytest.mark.parametrize("name", STAGES)
def test_every_resource_is_in_the_stages_region_and_named_with_its_prefix(name):
    stage = stages.load(name)
    for statement in statements(name):
        for resource in as_list(statement["Resource"]):
            if resource == "*" or resource == "${DataKey.Arn}":
                continue
            assert f":{stage.region}:${{AWS::AccountId}}:" in resource, resource
            if resource.endswith(":key/*"):
                # The data stack's key, known only by its alias: only that alias's key.
                assert statement["Condition"]["ForAnyValue:StringEquals"] == {
                    "kms:ResourceAliases": f"alias/{stage.table_prefix}-tables"}
                continue
            # Tables are named with the table prefix, shared by the stages of a data set.
            assert stage.prefix in resource or stage.ses_identity in resource or \
                f"table/{stage.table_prefix}-" in resource, resource


@pytest.mark.parametrize("name", STAGES)
def test_every_table_index_and_queue_is_granted_and_dead_letter_queues_are_not(name):
    stage = stages.load(name)
    _, queues = r.definitions()
    models = r.data_tables()
    granted = {res for s in statements(name) for res in as_list(s["Resource"])}
    for model in models:
        table = f"table/{stage.settings.table_name(model.short_name)}"
        assert any(g.endswith(table) for g in granted), table
        for index in r.index_names(model):
            assert any(g.endswith(f"{table}/index/{index}") for g in granted), index
    for queue in queues:
        assert any(g.endswith(":" + queue.name(stage.settings)) for g in granted)
        assert not any(g.endswith(":" + queue.dead_letter_name(stage.settings)) for g in granted)


@pytest.mark.parametrize("name", STAGES)
def test_email_may_only_be_sent_from_the_stage_sender(name):
    stage = stages.load(name)
    (email,) = [s for s in statements(name) if any(a.startswith("ses:") for a in
                                                     as_list(s["Action"]))]
    assert email["Condition"] == {"StringEquals": {"ses:FromAddress": stage.env["SES_SENDER"]}}
