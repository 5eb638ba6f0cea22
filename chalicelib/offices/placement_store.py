"""The offices and calendars of one region's tables, for moving an office between regions
(chalicelib/offices/placement.py). Low-level DynamoDB calls, because the move works on several
regions' tables from one process, each with its own client and table names."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib import aws


def every_item(operation: Any, **kwargs: Any) -> list[dict]:
    """Every item a Query or Scan (`client.query`, `client.scan`) answers, page after page."""
    items, start = [], None
    while True:
        page = operation(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


class RegionTables:
    def __init__(self, region: str, prefix: str, endpoint_url: str | None = None) -> None:
        self.region, self.prefix = region, prefix
        self.client: Any = aws.regional_dynamodb(region, endpoint_url)

    def table(self, short: str) -> str:
        return f"{self.prefix}-{short}"

    def placement(self, office_id: str) -> tuple[str | None, str | None]:
        item = self.client.get_item(TableName=self.table("offices"), ConsistentRead=True,
                                    Key={"office_id": {"S": office_id}}).get("Item")
        if item is None:
            raise KeyError(f"no office {office_id} in {self.region}")
        return (item.get("home_region", {}).get("S"), item.get("placement", {}).get("S"))

    def set_placement(self, office_id: str, home_region: str, placement: str | None) -> None:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        values = {":home": {"S": home_region}, ":one": {"N": "1"}, ":now": {"S": now}}
        expression = "SET home_region = :home, updated_at = :now ADD version :one"
        if placement:
            expression = ("SET home_region = :home, placement = :placement, updated_at = :now "
                          "ADD version :one")
            values[":placement"] = {"S": placement}
        else:
            expression += " REMOVE placement"
        self.client.update_item(TableName=self.table("offices"),
                                Key={"office_id": {"S": office_id}}, UpdateExpression=expression,
                                ExpressionAttributeValues=values,
                                ConditionExpression="attribute_exists(office_id)")

    def calendar(self, office_id: str) -> frozenset:
        slots = every_item(self.client.query, TableName=self.table("slots"), ConsistentRead=True,
                           KeyConditionExpression="office_id = :o",
                           ExpressionAttributeValues={":o": {"S": office_id}})
        # An index read is eventually consistent; the move polls until both sides agree.
        visits = every_item(self.client.query, TableName=self.table("appointments"),
                            IndexName="office_day", KeyConditionExpression="office_id = :o",
                            ExpressionAttributeValues={":o": {"S": office_id}})

        def number(item: dict, name: str) -> str:
            return item.get(name, {}).get("N", "0")

        return frozenset(
            [("slot", s["start"]["S"], number(s, "capacity"), number(s, "available"),
              number(s, "reserved"), tuple(sorted(s.get("holds", {}).get("M", {}))),
              s.get("closed", {}).get("S")) for s in slots]
            + [("appointment", v["confirmation_number"]["S"], number(v, "version"),
                v["status"]["S"]) for v in visits])

    # --- failover (chalicelib/offices/placement.py OfficeMove.failover) -----------------------

    def offices_served_by(self, region: str, default_home: str) -> list[str]:
        items = every_item(self.client.scan, TableName=self.table("offices"),
                           ConsistentRead=True, ProjectionExpression="office_id, home_region")
        return sorted(i["office_id"]["S"] for i in items
                      if i.get("home_region", {}).get("S", default_home) == region)

    def has_appointment(self, confirmation_number: str) -> bool:
        return "Item" in self.client.get_item(
            TableName=self.table("appointments"), ConsistentRead=True,
            Key={"confirmation_number": {"S": confirmation_number}},
            ProjectionExpression="confirmation_number")

    def keep_seat(self, slot_id: str) -> bool:
        from chalicelib.booking.schedule import parse_slot_id

        parsed = parse_slot_id(slot_id)
        if parsed is None:
            return False
        office_id, start = parsed
        key = {"office_id": {"S": office_id},
               "start": {"S": start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}}
        for pool in ("available", "reserved"):
            try:
                self.client.update_item(
                    TableName=self.table("slots"), Key=key,
                    UpdateExpression=f"SET {pool} = {pool} - :one",
                    ConditionExpression=f"{pool} > :zero",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}})
                return True
            except self.client.exceptions.ConditionalCheckFailedException:
                continue
        return False


class ClaimsTable:
    """The person claims, as the failover reads and hands them over (one MRSC table)."""

    def __init__(self, region: str, table: str, endpoint_url: str | None = None) -> None:
        self.table = table
        self.client: Any = aws.regional_dynamodb(region, endpoint_url)

    FIELDS = ("person_key", "claim_id", "state", "region", "office_id", "slot_id",
              "confirmation_number")

    def of_region(self, region: str) -> list[dict]:
        return self._where("region", region)

    def of_office(self, office_id: str) -> list[dict]:
        return self._where("office_id", office_id)

    def _where(self, attribute: str, value: str) -> list[dict]:
        items = every_item(
            self.client.scan, TableName=self.table, ConsistentRead=True,
            FilterExpression="#a = :v", ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":v": {"S": value}})
        return [{f: i[f]["S"] for f in self.FIELDS if f in i} for i in items]

    def reassign(self, person_key: str, claim_id: str, region: str, pending: bool) -> bool:
        expression = "SET #r = :r" + (", sweep = :r" if pending else "")
        try:
            self.client.update_item(
                TableName=self.table, Key={"person_key": {"S": person_key}},
                UpdateExpression=expression, ConditionExpression="claim_id = :c",
                ExpressionAttributeNames={"#r": "region"},
                ExpressionAttributeValues={":r": {"S": region}, ":c": {"S": claim_id}})
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False  # settled meanwhile (released, or taken again by a new booking)
