"""The offices and calendars of one region's tables, for moving an office between regions
(chalicelib/offices/placement.py). Low-level DynamoDB calls, because the move works on several
regions' tables from one process, each with its own client and table names."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib import aws


class RegionTables:
    def __init__(self, region: str, prefix: str, endpoint_url: str | None = None) -> None:
        self.region, self.prefix = region, prefix
        self.client: Any = aws.regional_dynamodb(region, endpoint_url)

    def _table(self, short: str) -> str:
        return f"{self.prefix}-{short}"

    def placement(self, office_id: str) -> tuple[str | None, str | None]:
        item = self.client.get_item(TableName=self._table("offices"), ConsistentRead=True,
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
        self.client.update_item(TableName=self._table("offices"),
                                Key={"office_id": {"S": office_id}}, UpdateExpression=expression,
                                ExpressionAttributeValues=values,
                                ConditionExpression="attribute_exists(office_id)")

    def _query(self, **kwargs: Any) -> list[dict]:
        items, start = [], None
        while True:
            page = self.client.query(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
            items.extend(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def calendar(self, office_id: str) -> frozenset:
        slots = self._query(TableName=self._table("slots"), ConsistentRead=True,
                            KeyConditionExpression="office_id = :o",
                            ExpressionAttributeValues={":o": {"S": office_id}})
        # An index read is eventually consistent; the move polls until both sides agree.
        visits = self._query(TableName=self._table("appointments"), IndexName="office_day",
                             KeyConditionExpression="office_id = :o",
                             ExpressionAttributeValues={":o": {"S": office_id}})

        def number(item: dict, name: str) -> str:
            return item.get(name, {}).get("N", "0")

        return frozenset(
            [("slot", s["start"]["S"], number(s, "capacity"), number(s, "available"),
              number(s, "reserved"), tuple(sorted(s.get("holds", {}).get("M", {}))),
              s.get("closed", {}).get("S")) for s in slots]
            + [("appointment", v["confirmation_number"]["S"], number(v, "version"),
                v["status"]["S"]) for v in visits])
