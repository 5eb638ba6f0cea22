"""What a DynamoDB global table does between regions, for the local two-region stacks: copy one
office's items from one region's tables to another's. The office move (`--copy`) calls it while
the office is fenced, so nothing writes them meanwhile.

An office's items: every item that names it (`office_id`: slots and their generation marks'
partition, appointments, holds, waitlist entries, letters, service requests, its audit), and the
per-person and per-contact items its appointments point at."""
from __future__ import annotations

from typing import Any

from chalicelib import tables
from chalicelib.offices.placement_store import every_item


def copy_office(office_id: str, source: Any, target: Any) -> int:
    """`source`, `target`: chalicelib.offices.placement_store.RegionTables. Returns the items
    copied."""
    copied = 0
    persons: set[str] = set()
    contacts: set[tuple[str, str]] = set()
    named = {"S": office_id}
    for model in tables.all_tables():
        short = model.short_name
        if short == "offices" or not model.regional:
            continue  # the move writes the office's placement; claims are one shared table
        for item in every_item(source.client.scan, TableName=source.table(short)):
            if item.get("office_id") != named:
                continue
            if short == "appointments" and item.get("status") == {"S": "booked"}:
                persons.add(item["person_key"]["S"])
                for seat in item.get("contact_seats", {}).get("SS", []):
                    contacts.add(tuple(seat.rsplit("#", 1)))
            target.client.put_item(TableName=target.table(short), Item=item)
            copied += 1
    for person in persons:
        found = source.client.get_item(TableName=source.table("persons"),
                                       Key={"person_key": {"S": person}}).get("Item")
        if found:
            target.client.put_item(TableName=target.table("persons"), Item=found)
            copied += 1
    for key, seat in contacts:
        found = source.client.get_item(TableName=source.table("contacts"), Key={
            "contact_key": {"S": key}, "seat": {"N": seat}}).get("Item")
        if found:
            target.client.put_item(TableName=target.table("contacts"), Item=found)
            copied += 1
    return copied
