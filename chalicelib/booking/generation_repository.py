"""Where slot generation keeps its marks: in the slots table, under a partition key no office id
can take (office ids start with a letter or digit), so one Query reads every office's mark and
no office's slot query ever meets one. No TTL: a mark lives as long as its office. Written
through the one shared DynamoDB connection (`aws.dynamodb`), raw: a mark is not a slot."""
from __future__ import annotations

from datetime import date

from chalicelib import aws
from chalicelib.booking.generation import Mark
from chalicelib.tables import SlotRecord

PARTITION = "#generated"


class DynamoGenerationMarks:
    def all(self) -> dict[str, Mark]:
        marks: dict[str, Mark] = {}
        pages = aws.dynamodb().client.get_paginator("query").paginate(
            TableName=SlotRecord.Meta.table_name, ConsistentRead=True,
            KeyConditionExpression="office_id = :marks",
            ExpressionAttributeValues={":marks": {"S": PARTITION}})
        for page in pages:
            for item in page["Items"]:
                office_id = item["start"]["S"]
                marks[office_id] = Mark(office_id, date.fromisoformat(item["through"]["S"]),
                                        int(item["office_version"]["N"]))
        return marks

    def put(self, mark: Mark) -> None:
        aws.dynamodb().client.put_item(TableName=SlotRecord.Meta.table_name, Item={
            "office_id": {"S": PARTITION}, "start": {"S": mark.office_id},
            "through": {"S": mark.through.isoformat()},
            "office_version": {"N": str(mark.version)}})
