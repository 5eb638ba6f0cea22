"""The local moto server's item-level rollback of TransactWriteItems (local/moto_server.py): a
cancelled transaction undoes exactly the items it touched, and copies no whole table."""
import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_server


@pytest.fixture
def table(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # in-process moto, not the test server
    moto_server.item_level_rollback()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
        yield client


def item(client, key):
    return client.get_item(TableName="t", Key={"k": {"S": key}}).get("Item")


def test_a_cancelled_transaction_restores_what_it_touched_and_nothing_else(table, monkeypatch):
    for key, n in (("a", "1"), ("c", "1"), ("other", "7")):
        table.put_item(TableName="t", Item={"k": {"S": key}, "n": {"N": n}})
    copies = []
    import copy
    real = copy.deepcopy
    from moto.dynamodb.models import Table

    def counting(value, *args, **kwargs):
        if isinstance(value, Table):
            copies.append(value)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", counting)
    with pytest.raises(ClientError) as raised:
        table.transact_write_items(TransactItems=[
            {"Update": {"TableName": "t", "Key": {"k": {"S": "a"}},
                        "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {
                            ":two": {"N": "2"}}}},
            {"Put": {"TableName": "t", "Item": {"k": {"S": "b"}, "n": {"N": "1"}},
                     "ConditionExpression": "attribute_not_exists(k)"}},
            {"Update": {"TableName": "t", "Key": {"k": {"S": "c"}},
                        "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :zero", "ExpressionAttributeValues": {
                            ":two": {"N": "2"}, ":zero": {"N": "0"}}}},
        ])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert item(table, "a")["n"] == {"N": "1"} and item(table, "b") is None
    assert item(table, "c")["n"] == {"N": "1"} and item(table, "other")["n"] == {"N": "7"}
    assert copies == []  # no table was copied whole
    # A transaction that succeeds writes everything.
    table.transact_write_items(TransactItems=[
        {"Update": {"TableName": "t", "Key": {"k": {"S": "a"}}, "UpdateExpression": "SET n = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        {"Put": {"TableName": "t", "Item": {"k": {"S": "b"}, "n": {"N": "1"}}}}])
    assert item(table, "a")["n"] == {"N": "2"} and item(table, "b")["n"] == {"N": "1"}


def test_the_local_mailbox_keeps_the_newest_emails_and_forgets_older_ones(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setattr(moto_server, "MAILBOX_MESSAGES", 3)
    moto_server.bounded_mailbox()
    with mock_aws():
        ses = boto3.client("sesv2", region_name="us-east-1")
        ses.create_email_identity(EmailIdentity="infopass@example.gov")
        for n in range(5):
            ses.send_email(FromEmailAddress="infopass@example.gov",
                           Destination={"ToAddresses": [f"person{n}@example.org"]},
                           Content={"Simple": {"Subject": {"Data": f"notice {n}"},
                                               "Body": {"Text": {"Data": "text"}}}})
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        kept = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        assert [m.subject for m in kept] == ["notice 2", "notice 3", "notice 4"]


def state(moto_server, action, name):
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(
        f"{moto_server}/infopass/state/{action}/{name}", method="POST"))


def test_a_restored_state_has_what_was_saved_and_nothing_written_since(aws, moto_server):
    from chalicelib import aws as clients, tables

    dynamodb, sqs = clients.client("dynamodb"), clients.client("sqs")
    persons, queue = tables.PersonRecord.Meta.table_name, aws["notices"]
    dynamodb.put_item(TableName=persons, Item={"person_key": {"S": "saved"}})
    sqs.send_message(QueueUrl=queue, MessageBody="saved")
    state(moto_server, "save", "restore-test")
    dynamodb.put_item(TableName=persons, Item={"person_key": {"S": "later"}})
    sqs.send_message(QueueUrl=queue, MessageBody="later")
    taken = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in taken) == ["later", "saved"]

    state(moto_server, "restore", "restore-test")
    keys = [i["person_key"]["S"] for i in dynamodb.scan(TableName=persons)["Items"]]
    assert keys == ["saved"]
    # The saved message is back (not taken, as when saved); the queue still works after that
    # (a copied queue once kept its original's lock and answered 500 to every send).
    sqs.send_message(QueueUrl=queue, MessageBody="after")
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)[
        "Messages"]]
    assert sorted(bodies) == ["after", "saved"]


def test_restoring_a_state_never_saved_is_refused(moto_server):
    import urllib.error
    with pytest.raises(urllib.error.HTTPError) as refused:
        state(moto_server, "restore", "never-saved")
    assert refused.value.code == 404


def test_a_query_reads_its_partition_in_order_and_pages_and_index_queries_still_work(monkeypatch):
    """moto's Query walked and sorted the whole table; the local server hands it the partition."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    moto_server.partition_queries()
    from moto.dynamodb.models.table import Table

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="slots", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in ("office", "start", "day")],
            KeySchema=[{"AttributeName": "office", "KeyType": "HASH"},
                       {"AttributeName": "start", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-day", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"},
                                                   {"AttributeName": "start", "KeyType": "RANGE"}]}])
        for office in ("boston", "chicago", "miami"):
            for hour in ("12", "09", "10", "11"):
                client.put_item(TableName="slots", Item={
                    "office": {"S": office}, "start": {"S": f"2026-12-07T{hour}:00Z"},
                    "day": {"S": "2026-12-07"}})
        walked = []
        real = Table.all_items
        monkeypatch.setattr(Table, "all_items", lambda self: walked.append(1) or real(self))

        def starts(**query):
            pages, key = [], None
            while True:
                page = client.query(TableName="slots", **query,
                                    **({"ExclusiveStartKey": key} if key else {}))
                pages.append([(i.get("office", {}).get("S"), i["start"]["S"][11:13])
                              for i in page["Items"]])
                key = page.get("LastEvaluatedKey")
                if not key:
                    return pages

        assert starts(KeyConditionExpression="office = :o AND #s BETWEEN :a AND :b",
                      ExpressionAttributeNames={"#s": "start"},
                      ExpressionAttributeValues={":o": {"S": "chicago"},
                                                 ":a": {"S": "2026-12-07T10"},
                                                 ":b": {"S": "2026-12-07T13"}}) == [
            [("chicago", "10"), ("chicago", "11"), ("chicago", "12")]]
        assert starts(KeyConditionExpression="office = :o", Limit=3,
                      ExpressionAttributeValues={":o": {"S": "miami"}}) == [
            [("miami", "09"), ("miami", "10"), ("miami", "11")], [("miami", "12")]]
        assert starts(KeyConditionExpression="office = :o",
                      ExpressionAttributeValues={":o": {"S": "nowhere"}}) == [[]]
        by_day = starts(IndexName="by-day", KeyConditionExpression="#d = :d",
                        ExpressionAttributeNames={"#d": "day"},
                        ExpressionAttributeValues={":d": {"S": "2026-12-07"}})
        assert sum(len(page) for page in by_day) == 12
        assert walked == []  # no query gathered (and sorted) the whole table


def test_a_query_on_the_listed_index_reads_only_its_office_partition_in_start_order(monkeypatch):
    """The `listed` index's key is the slot's own office id, so the local server hands moto that
    partition (moto walked every item of the table for an index query), and projects its items
    by keeping their attributes (as moto's own projection does, faster)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    moto_server.partition_queries()
    moto_server.cheap_index_projection()

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="slots", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in ("office_id", "start", "listed")],
            KeySchema=[{"AttributeName": "office_id", "KeyType": "HASH"},
                       {"AttributeName": "start", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "listed", "Projection": {"ProjectionType": "INCLUDE",
                                                      "NonKeyAttributes": ["available"]},
                "KeySchema": [{"AttributeName": "listed", "KeyType": "HASH"},
                              {"AttributeName": "start", "KeyType": "RANGE"}]}])
        for office in ("boston", "chicago"):
            for hour in ("12", "09", "11", "10"):
                item = {"office_id": {"S": office}, "start": {"S": f"2026-12-07T{hour}:00Z"},
                        "available": {"N": "1"}, "capacity": {"N": "4"}}
                if hour != "11":  # booked out and unlisted
                    item["listed"] = {"S": office}
                client.put_item(TableName="slots", Item=item)
        # Breaks the index's rule (listed = its own office): a table walk would return it.
        client.put_item(TableName="slots", Item={
            "office_id": {"S": "miami"}, "start": {"S": "2026-12-07T10:30Z"},
            "listed": {"S": "boston"}})

        def query(**extra):
            pages, key = [], None
            while True:
                page = client.query(
                    TableName="slots", IndexName="listed",
                    KeyConditionExpression="listed = :o AND #s >= :a",
                    ExpressionAttributeNames={"#s": "start"},
                    ExpressionAttributeValues={":o": {"S": "boston"},
                                               ":a": {"S": "2026-12-07T10"}},
                    **extra, **({"ExclusiveStartKey": key} if key else {}))
                pages.append(([(i["office_id"]["S"], i["start"]["S"][11:13], sorted(i))
                               for i in page["Items"]], page["ScannedCount"]))
                key = page.get("LastEvaluatedKey")
                if not key:
                    return pages

        projected = ["available", "listed", "office_id", "start"]
        assert query() == [([("boston", "10", projected), ("boston", "12", projected)], 2)]
        assert query(Limit=1) == [([("boston", "10", projected)], 1),
                                  ([("boston", "12", projected)], 1)]
        assert query(ScanIndexForward=False)[0][0][0][1] == "12"
        keys_only = client.query(TableName="slots", IndexName="listed",
                                 KeyConditionExpression="listed = :o",
                                 ExpressionAttributeValues={":o": {"S": "chicago"}},
                                 ProjectionExpression="office_id, #s",
                                 ExpressionAttributeNames={"#s": "start"})["Items"]
        assert keys_only[0] == {"office_id": {"S": "chicago"}, "start": {"S": "2026-12-07T09:00Z"}}


def test_sending_a_message_does_not_count_the_waiting_ones_but_the_queue_still_does(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    moto_server.cheap_sends()
    from moto.sqs.models import Queue

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="notices")["QueueUrl"]
        walks = []
        real = Queue.messages
        monkeypatch.setattr(Queue, "messages", property(lambda q: walks.append(1) or real.fget(q)))
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"notice {n}")
        assert walks == []  # no send walked the waiting messages
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert counts["ApproximateNumberOfMessages"] == "3"
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in got) == ["notice 0", "notice 1", "notice 2"]


def test_receiving_messages_does_not_count_the_waiting_ones_and_still_honours_retention(
        monkeypatch):
    """moto built the queue's attributes (three walks of the backlog each) three times for every
    message it handed out, to read the retention period."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    moto_server.cheap_receives()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import Queue, sqs_backends

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="notices", Attributes={
            "MessageRetentionPeriod": "60"})["QueueUrl"]
        for n in range(5):
            sqs.send_message(QueueUrl=url, MessageBody=f"notice {n}")
        counted = []
        for name in moto_server._COUNTS:
            real = getattr(Queue, name)
            monkeypatch.setattr(Queue, name, property(
                lambda q, real=real: counted.append(1) or real.fget(q)))
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
        assert [m["Body"] for m in got] == ["notice 0", "notice 1", "notice 2"]
        assert counted == []  # no message handed out counted the backlog
        # A message older than the retention period is still not handed out.
        queue = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_queue("notices")
        for message in queue._messages:
            message.sent_timestamp -= 120_000
        assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3).get("Messages", []) == []


RICH_ITEM = {
    "k": {"S": "a"}, "empty": {"S": ""}, "n": {"N": "-3.25"}, "bin": {"B": b"\x00\xffraw"},
    "strings": {"SS": ["x", "y"]}, "numbers": {"NS": ["1", "2.5"]},
    "bins": {"BS": [b"\x01", b"\x02"]}, "nothing": {"NULL": True}, "yes": {"BOOL": True},
    "no": {"BOOL": False}, "none": {"M": {}}, "nil": {"L": []},
    "nested": {"M": {"l": {"L": [{"N": "1"}, {"S": "z"}, {"M": {"b": {"B": b"\x07"}}},
                                 {"L": [{"BOOL": False}, {"NULL": True}]}]},
                     "s": {"S": "José 漢字"}}},
}


def test_item_answers_are_written_without_moto_trying_every_member_of_every_value(
        table, monkeypatch):
    """moto's serializer tried ten members under several spellings for each attribute value; the
    local server writes them directly, and an item comes back exactly as it was written."""
    moto_server.cheap_item_answers()
    from moto.core import serialize

    table.put_item(TableName="t", Item=RICH_ITEM)
    picks = []
    real = serialize.XFormedAttributePicker.__call__
    monkeypatch.setattr(serialize.XFormedAttributePicker, "__call__",
                        lambda self, context: picks.append(context.key) or real(self, context))
    got = item(table, "a")
    updated = table.update_item(TableName="t", Key={"k": {"S": "a"}},
                                UpdateExpression="SET yes = :f",
                                ExpressionAttributeValues={":f": {"BOOL": False}},
                                ReturnValues="ALL_NEW")["Attributes"]
    found = table.query(TableName="t", KeyConditionExpression="k = :a",
                        ExpressionAttributeValues={":a": {"S": "a"}})["Items"]
    assert got == RICH_ITEM
    assert updated == {**RICH_ITEM, "yes": {"BOOL": False}} and found == [updated]
    assert not {"S", "N", "B", "M", "L", "BOOL"} & set(picks)  # no value's members looked up


def test_the_server_lists_its_modules_and_an_answers_methods_once(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    moto_server.cheap_dispatch()
    import os

    from moto import backends
    from moto.core import responses

    listed = []
    real = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path=".": listed.append(path) or real(path))
    assert "dynamodb" in backends.list_of_moto_modules()
    assert "sqs" in backends.list_of_moto_modules()
    assert listed == []
    from moto.dynamodb.responses import DynamoHandler

    assert "get_item" in responses.method_names_from_class(DynamoHandler)
    assert responses.method_names_from_class(DynamoHandler) is (
        responses.method_names_from_class(DynamoHandler))


def test_moto_forgets_items_and_messages_that_are_gone_and_still_lists_the_live_ones(table):
    """moto kept every model object it ever made (each item version, each message) in a list
    on its class: the local server grew with every write for as long as it ran."""
    moto_server.forgetful_models()
    import gc

    from moto.dynamodb.models.dynamo_type import Item
    from moto.sqs.models import Message

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="notices")["QueueUrl"]
    for n in range(60):
        table.put_item(TableName="t", Item={"k": {"S": "same"}, "n": {"N": str(n)}})
        table.update_item(TableName="t", Key={"k": {"S": "same"}},
                          UpdateExpression="SET n = n + :one",
                          ExpressionAttributeValues={":one": {"N": "1"}})
        sqs.send_message(QueueUrl=url, MessageBody=f"notice {n}")
        for message in sqs.receive_message(QueueUrl=url).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    gc.collect()
    items = [i for i in Item.instances_tracked if i.attrs.get("k") is not None
             and i.attrs["k"].value == "same"]
    assert 1 <= len(items) < 10  # the live item (and maybe a copy in flight), not 120+
    assert len(list(Message.instances_tracked)) < 10
    assert item(table, "same")["n"] == {"N": "60"}
