"""The published urgency criteria: versioned data (`data/criteria.json`) and the pure code that
applies them. No I/O beyond reading the shipped data file once; no clock (the caller passes the
day the request is assessed), so the same facts always give the same result.

Every condition only ever becomes true as a deadline gets nearer or a circumstance is added (there
is no negation in the vocabulary), and the level is the highest among the criteria that fired, so
neither change can lower the level. The property tests hold the rule set to that.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.triage.codes import CIRCUMSTANCES, DEADLINE_KINDS, INQUIRY_TYPES, LEVEL_RANK

_DATA = Path(__file__).parent / "data" / "criteria.json"
DEFAULT_LEVEL = "standard"


@dataclass(frozen=True)
class Deadline:
    on: date
    kind: str


@dataclass(frozen=True)
class Facts:
    """What the rules look at; nothing else about the request (no names, no free text)."""
    inquiry_type: str
    today: date  # the office-local day the request is assessed
    deadlines: tuple[Deadline, ...] = ()
    circumstances: frozenset[str] = frozenset()
    filed_date: date | None = None


@dataclass(frozen=True)
class Criterion:
    id: str
    level: str
    when: dict[str, Any]
    explanation: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    effective_from: date
    summary: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Assessment:
    version: str
    level: str
    fired: tuple[str, ...]  # criterion ids, in rule-set order


class InvalidRuleSet(ValueError):
    pass


_CONDITIONS = {"inquiry_type_in", "deadline_within_days", "deadline_kind_in", "circumstance_in",
               "distinct_circumstances_at_least", "pending_more_than_days"}


def _check(criterion: Criterion) -> None:
    unknown = set(criterion.when) - _CONDITIONS
    if unknown or not criterion.when:
        raise InvalidRuleSet(f"{criterion.id}: unknown or empty conditions {sorted(unknown)}")
    if criterion.level not in LEVEL_RANK or criterion.level == DEFAULT_LEVEL:
        raise InvalidRuleSet(f"{criterion.id}: a criterion raises the level above standard")
    if "deadline_kind_in" in criterion.when and "deadline_within_days" not in criterion.when:
        raise InvalidRuleSet(f"{criterion.id}: deadline_kind_in needs deadline_within_days")
    vocabularies = {"inquiry_type_in": INQUIRY_TYPES, "deadline_kind_in": DEADLINE_KINDS,
                    "circumstance_in": CIRCUMSTANCES}
    for key, known in vocabularies.items():
        if not set(criterion.when.get(key, ())) <= set(known):
            raise InvalidRuleSet(f"{criterion.id}: unknown codes in {key}")


def parse(document: dict) -> tuple[RuleSet, ...]:
    rule_sets = []
    for raw in document["versions"]:
        criteria = tuple(Criterion(c["id"], c["level"], c["when"], c["explanation"])
                         for c in raw["criteria"])
        for criterion in criteria:
            _check(criterion)
        ids = [c.id for c in criteria]
        if len(set(ids)) != len(ids):
            raise InvalidRuleSet(f"{raw['version']}: duplicate criterion ids")
        rule_sets.append(RuleSet(raw["version"], date.fromisoformat(raw["effective_from"]),
                                 raw["summary"], criteria))
    versions = [r.version for r in rule_sets]
    if len(set(versions)) != len(versions):
        raise InvalidRuleSet("duplicate versions")
    return tuple(sorted(rule_sets, key=lambda r: r.effective_from))


@lru_cache(maxsize=1)
def all_versions() -> tuple[RuleSet, ...]:
    with _DATA.open(encoding="utf-8") as handle:
        return parse(json.load(handle))


def current(on: date) -> RuleSet:
    """The rule set in force on a day: the latest whose effective date has come."""
    in_force = [r for r in all_versions() if r.effective_from <= on]
    return in_force[-1] if in_force else all_versions()[0]


def version(name: str) -> RuleSet | None:
    return next((r for r in all_versions() if r.version == name), None)


def criterion(rule_set: RuleSet, criterion_id: str) -> Criterion | None:
    return next((c for c in rule_set.criteria if c.id == criterion_id), None)


def _holds(when: dict[str, Any], facts: Facts) -> bool:
    if "inquiry_type_in" in when and facts.inquiry_type not in when["inquiry_type_in"]:
        return False
    if "deadline_within_days" in when:
        kinds = when.get("deadline_kind_in")
        window = when["deadline_within_days"]
        if not any(abs((d.on - facts.today).days) <= window
                   and (kinds is None or d.kind in kinds) for d in facts.deadlines):
            return False
    if "circumstance_in" in when and not facts.circumstances & set(when["circumstance_in"]):
        return False
    if len(facts.circumstances) < when.get("distinct_circumstances_at_least", 0):
        return False
    if "pending_more_than_days" in when:
        if facts.filed_date is None:
            return False
        if (facts.today - facts.filed_date).days <= when["pending_more_than_days"]:
            return False
    return True


def evaluate(rule_set: RuleSet, facts: Facts) -> Assessment:
    fired = tuple(c for c in rule_set.criteria if _holds(c.when, facts))
    level = max((c.level for c in fired), key=LEVEL_RANK.__getitem__, default=DEFAULT_LEVEL)
    return Assessment(rule_set.version, level, tuple(c.id for c in fired))


def higher(a: str, b: str) -> bool:
    return LEVEL_RANK[a] > LEVEL_RANK[b]
