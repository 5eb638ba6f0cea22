"""moto in server mode, serving one request at a time.

moto's threaded server is not atomic: concurrent conditional writes over-book and a failed
transaction restores a deep copy of the table, erasing other clients' writes. Real DynamoDB
executes each request atomically; a lock around the whole request (including reading the
response body) gives the local stack the same guarantee.
"""
from __future__ import annotations

import argparse
import logging
import re
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


class Serialized:
    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        # DynamoDB requests served, by operation, failed ones included (`make bench` reads and
        # resets them at REQUESTS_PATH: counted here, not by a hook in the client).
        self.requests: dict[str, int] = {}
        # Items each Query and Scan read (its ScannedCount: what DynamoDB bills, filtered out or
        # not), by table, or "table/index" for an index (ITEMS_READ_PATH).
        self.items_read: dict[str, int] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or ""
        if path == SENT_MAIL_PATH:
            return sent_mail(start_response)
        if path == REQUESTS_PATH:
            return self.served(environ, start_response, "requests")
        if path == ITEMS_READ_PATH:
            return self.served(environ, start_response, "items_read")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.partition(".")[2] if target.startswith("DynamoDB_") else None
        read_from = _read_from(environ) if operation in ("Query", "Scan") else None
        with self.lock:
            if path.startswith(STATE_PATH) and environ.get("REQUEST_METHOD") == "POST":
                return state(path[len(STATE_PATH):], start_response)
            if operation:
                self.requests[operation] = self.requests.get(operation, 0) + 1
            chunks = list(self.app(environ, start_response))
            if read_from:
                scanned = _SCANNED.search(b"".join(chunks))
                if scanned:
                    self.items_read[read_from] = (self.items_read.get(read_from, 0)
                                                  + int(scanned.group(1)))
        return chunks

    def served(self, environ, start_response, counts: str):
        import json

        with self.lock:
            body = json.dumps(getattr(self, counts)).encode()
            if environ.get("REQUEST_METHOD") == "DELETE":
                setattr(self, counts, {})
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]


# DynamoDB requests served so far by operation (GET), and reset (DELETE).
REQUESTS_PATH = "/infopass/dynamodb-requests.json"
# Items read by Query and Scan so far, by table or "table/index" (GET), and reset (DELETE).
ITEMS_READ_PATH = "/infopass/dynamodb-items-read.json"
_SCANNED = re.compile(rb'"ScannedCount":\s*(\d+)')


def _read_from(environ) -> str | None:
    """The table (or "table/index") a Query or Scan names; the body is kept for moto."""
    import io
    import json

    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None
    table, index = request.get("TableName"), request.get("IndexName")
    return f"{table}/{index}" if index else table


# The emails moto's SES accepted, without the rest of /moto-api/data.json (which serializes every
# table item and, with a full booking window, takes seconds while holding up every request).
SENT_MAIL_PATH = "/infopass/sent-mail.json"


def sent_mail(start_response):
    import json

    from moto.ses.models import ses_backends

    raw, simple = [], []
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            for message in list(backend.sent_messages):
                if hasattr(message, "raw_data"):
                    raw.append({"id": message.id, "destinations": message.destinations,
                                "raw_data": message.raw_data})
                else:
                    simple.append({"id": message.id, "subject": message.subject,
                                   "body": message.body, "destinations": message.destinations})
    body = json.dumps({"ses": {"RawMessage": raw, "Message": simple}}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


# POST /infopass/state/save/<name> keeps a copy of every service's data (tables with their items,
# queues, mail identities...); POST /infopass/state/restore/<name> puts it back, in place of
# moto's reset followed by provisioning. The tests save the provisioned stage once and restore it
# before each test: a few milliseconds instead of re-creating 14 tables, the queues and the
# offices (1.5-2.5 s a test). Restore answers 404 for a name never saved.
STATE_PATH = "/infopass/state/"
_saved: dict[str, tuple[list, list]] = {}


def _live_backends() -> dict:
    """(service's backend dict, account, region) -> the live backend object."""
    from moto.core.base_backend import BackendDict

    return {(backends, account, region): backend
            for backends in list(BackendDict._instances)
            for account, region, backend in backends.iter_backends()}


def _shared(live: dict) -> dict:
    """deepcopy's memo: the service registries stay shared, never copied."""
    from moto.core.base_backend import BackendDict

    return {id(backends): backends for backends in list(BackendDict._instances)}


def _copy(value, memo: dict):
    """A deep copy in which a lock or condition (each SQS queue has one) becomes a new, free one
    (a copied Condition would keep the bound methods of the original's lock)."""
    import copy
    import copyreg
    import threading

    lock_types = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock,
                  threading.Condition: threading.Condition}
    for lock_type, make in lock_types.items():
        copyreg.pickle(lock_type, lambda _lock, make=make: (make, ()))
    try:
        return copy.deepcopy(value, memo)
    finally:
        for lock_type in lock_types:
            copyreg.dispatch_table.pop(lock_type, None)


def save_state(name: str) -> None:
    live = _live_backends()
    keys = list(live)
    # Backends refer to each other (sesv2 keeps ses's backend object): such references stay on
    # the live objects, whose contents are what a restore replaces.
    memo = {**_shared(live), **{id(backend): backend for backend in live.values()}}
    contents = _copy([live[key].__dict__ for key in keys], memo)
    _saved[name] = ([(key, live[key]) for key in keys], contents)


def restore_state(name: str) -> bool:
    if name not in _saved:
        return False
    saved, contents = _saved[name]
    live = _live_backends()
    # A moto reset since the save made new backend objects: saved references to the old ones
    # are pointed at their successors.
    current = [backends[account][region] for (backends, account, region), _ in saved]
    memo = {**_shared(live), **{id(then): now for (_, then), now in zip(saved, current)}}
    restored = _copy(contents, memo)
    kept = {key for key, _ in saved}
    for key, backend in live.items():
        if key not in kept:
            backend.reset()  # a service (or region) first used after the save starts empty
    for backend, content in zip(current, restored):
        backend.__dict__ = content
    return True


def state(action_and_name: str, start_response):
    action, _, name = action_and_name.partition("/")
    if action == "save" and name:
        save_state(name)
        found = True
    elif action == "restore" and name:
        found = restore_state(name)
    else:
        found = False
    start_response("204 No Content" if found else "404 Not Found", [("Content-Length", "0")])
    return []


def item_level_rollback() -> None:
    """moto's TransactWriteItems deep-copies the whole table once per item it touches, for a
    rollback: a 100-put transaction on a 1,000-slot table copied 100,000 items, and a booking
    on the seeded stack took ~190 ms against ~12 ms with one office. Snapshot only the items the
    transaction names instead, and restore those on failure. Safe because `Serialized` runs one
    request at a time (nothing else writes between the snapshot and the rollback)."""
    import copy

    from moto.dynamodb.models import DynamoDBBackend, dynamo_type
    from moto.dynamodb import models as dynamodb_models

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "item_level", False):
        return

    class _NoTableCopies:
        """moto's module-level `copy`, with `deepcopy` of a whole table made a no-op."""

        @staticmethod
        def deepcopy(value, *args, **kwargs):
            return value if isinstance(value, dynamodb_models.Table) else copy.deepcopy(
                value, *args, **kwargs)

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName") or "")
            if table is None:
                continue
            keys = op["Item"] if op_type == "Put" else op.get("Key", {})
            if table.hash_key_attr not in keys or (
                    table.range_key_attr is not None and table.range_key_attr not in keys):
                continue  # moto reports the malformed item itself
            hash_value = dynamo_type.DynamoType(keys[table.hash_key_attr])
            range_value = (dynamo_type.DynamoType(keys[table.range_key_attr])
                           if table.range_key_attr is not None else None)
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value,
                          copy.deepcopy(current) if current is not None else None))
        module_copy = dynamodb_models.copy
        dynamodb_models.copy = _NoTableCopies
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                if range_value is not None:
                    if item is None:
                        table.items.get(hash_value, {}).pop(range_value, None)
                    else:
                        table.items[hash_value][range_value] = item
                elif item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            raise
        finally:
            dynamodb_models.copy = module_copy

    transact_write_items.item_level = True
    DynamoDBBackend.transact_write_items = transact_write_items


# The local mailbox keeps the newest emails only: moto keeps every message SES accepted for the
# life of the process, so a stack left running grew with every notice it sent.
MAILBOX_MESSAGES = 2000


def bounded_mailbox() -> None:
    """moto's SES backends append to `sent_messages` and iterate it, nothing else: a deque with
    a maximum length keeps the newest MAILBOX_MESSAGES (the sent-mail view and `make mail` read
    them)."""
    from collections import deque

    from moto.ses.models import SESBackend

    original = SESBackend.__init__
    if getattr(original, "bounded", False):
        return

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.sent_messages = deque(self.sent_messages, maxlen=MAILBOX_MESSAGES)

    __init__.bounded = True
    SESBackend.__init__ = __init__


# Indexes whose hash key, where present, is the item's own table partition key
# (chalicelib/tables.py `ListedSlotIndex`: `listed` is the slot's office id): a query on one
# hands moto that partition, whose items without the index's key moto leaves out (DynamoDB reads
# only the index's own partition). A query on any other index walks the whole table.
PARTITION_INDEXES = frozenset({"listed"})


def partition_queries() -> None:
    """moto's Query gathers every item of the table, sorted, then keeps one partition's: a
    listing of one office's two weeks read all 41 offices' slots (about 0.3 s each on the seeded
    stack, so about 3 listings a second). Hand it the partition instead (DynamoDB reads only
    the partition too); a query on an index still gets every item, unsorted (moto sorts what
    it keeps), except an index of PARTITION_INDEXES. Safe because `Serialized` runs one request
    at a time."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "partitioned", False):
        return

    def query(self, hash_key, *args, **kwargs):
        index_name = kwargs["index_name"] if "index_name" in kwargs else (
            args[6] if len(args) > 6 else None)
        if hash_key is not None and (not index_name or index_name in PARTITION_INDEXES):
            if hash_key not in self.items:
                found = []
            elif self.range_key_attr:
                found = list(self.items[hash_key].values())
            else:
                found = [self.items[hash_key]]
        else:
            found = [item for partition in self.items.values()
                     for item in (partition.values() if self.range_key_attr else [partition])]
        self.all_items = lambda: found  # this call only: the instance shadows the method
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.partitioned = True
    Table.query = query


def cheap_index_projection() -> None:
    """moto projects every item an index query returns by converting the whole item to plain
    JSON once per projected attribute and building a new item from that (the `listed` index
    projects 8: a listing of 143 slots took 2.4 times the same query on the table). Index
    projections name top-level attributes only, so keep those of the item's own values (moto
    has deep-copied the results already)."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import SecondaryIndex

    original = SecondaryIndex.project
    if getattr(original, "cheap", False):
        return

    def project(self, item):
        kind = (self.projection or {}).get("ProjectionType")
        if kind not in ("KEYS_ONLY", "INCLUDE"):
            return item  # ALL
        kept = set(self.table_key_attrs) | {key["AttributeName"] for key in self.schema}
        if kind == "INCLUDE":
            kept.update(self.projection.get("NonKeyAttributes", []))
        projected = Item(item.hash_key, item.range_key, {})
        # dict.update, not the size-checking __setitem__: a part of an item that fit.
        projected.attrs.update({k: v for k, v in item.attrs.items() if k in kept})
        return projected

    project.cheap = True
    SecondaryIndex.project = project


_COUNTS = ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
           "approximate_number_of_messages_not_visible")


def cheap_sends() -> None:
    """moto's SendMessage builds all of the queue's attributes to read one flag
    (ContentBasedDeduplication), and three of them count the waiting messages by walking every
    one: with a backlog of notices each send got slower, and the serialized stack with it. The
    counts read 0 while a message is sent (nothing in sending uses them); GetQueueAttributes
    still counts. Safe because `Serialized` runs one request at a time."""
    from moto.sqs.models import Queue, SQSBackend

    original = SQSBackend.send_message
    if getattr(original, "cheap", False):
        return

    def send_message(self, *args, **kwargs):
        saved = {name: Queue.__dict__[name] for name in _COUNTS}
        for name in _COUNTS:
            setattr(Queue, name, property(lambda queue: 0))
        try:
            return original(self, *args, **kwargs)
        finally:
            for name, counted in saved.items():
                setattr(Queue, name, counted)

    send_message.cheap = True
    SQSBackend.send_message = send_message


def cheap_receives() -> None:
    """moto's ReceiveMessage checks each message it hands out against the queue's retention
    period by building the queue's attributes three times (once per lookup of one name), and
    each build counts the waiting messages three times by walking all of them: nine walks of
    the backlog per message received, ninety per batch of ten (≈ 260 ms a receive with 400
    notices waiting, so the local consumer slowed as its backlog grew, and fell further behind).
    Read the one attribute instead; nothing else about receiving changes."""
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, "cheap", False):
        return

    def is_message_valid_based_on_retention_period(self, queue_name, message) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > unix_time()

    is_message_valid_based_on_retention_period.cheap = True
    SQSBackend.is_message_valid_based_on_retention_period = (
        is_message_valid_based_on_retention_period)


def cheap_dispatch() -> None:
    """Per request, moto's server listed its own package directory twice (a listdir and ~150
    stats, to see whether the host names a moto module) and its response class listed its
    methods with `inspect.getmembers`. Neither changes while the server runs: compute each once."""
    import functools

    from moto import backends
    from moto.core import responses

    if getattr(backends.list_of_moto_modules, "cached", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules():
        return modules

    list_of_moto_modules.cached = True
    backends.list_of_moto_modules = list_of_moto_modules
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(
        responses.method_names_from_class)


def _attribute_value(value: dict, base64) -> dict:
    """A DynamoDB attribute value as moto's serializer writes it: members that are None left out,
    binaries base64-encoded, strings and numbers as strings, maps and lists member by member."""
    out = {}
    for kind, member in value.items():
        if member is None:
            continue
        if kind == "M":
            out[kind] = {name: _attribute_value(inner, base64) for name, inner in member.items()}
        elif kind == "L":
            out[kind] = [_attribute_value(inner, base64) for inner in member]
        elif kind == "B":
            out[kind] = base64(member)
        elif kind == "BS":
            out[kind] = [base64(inner) for inner in member]
        elif kind in ("SS", "NS"):
            out[kind] = [str(inner) for inner in member]
        elif kind in ("S", "N"):
            out[kind] = str(member)
        else:  # NULL, BOOL
            out[kind] = member
    return out


_ITEM_SERVICES = ("dynamodb", "dynamodbstreams")


def cheap_item_answers() -> None:
    """moto's JSON serializer writes every DynamoDB attribute value by trying each of its ten
    members (S, N, B, SS, ..., BOOL) under several spellings: about 150 lookups per attribute,
    a third of the server's time for the consumer's and the API's item requests. The values are
    already in wire form, {type: value}: write them directly (`_attribute_value`, which the
    tests compare with moto's own serializer)."""
    from moto.core.serialize import JSONSerializer

    original = JSONSerializer._serialize_type_structure
    if getattr(original, "cheap", False):
        return

    def _serialize_type_structure(self, serialized, value, shape, key):
        if (shape.name == "AttributeValue" and key and isinstance(value, dict)
                and self.operation_model.service_model.service_name in _ITEM_SERVICES):
            self._default_serialize(serialized, _attribute_value(value, self._base64), shape, key)
            return
        original(self, serialized, value, shape, key)

    _serialize_type_structure.cheap = True
    JSONSerializer._serialize_type_structure = _serialize_type_structure


def forgetful_models() -> None:
    """moto's BaseModel appends every model object it ever creates to its class's
    `instances_tracked` list (only /moto-api/data.json and moto's reset read them), and nothing
    takes them out: every DynamoDB item version (each write, and each transaction, copies
    items), every SQS message, every email stayed for the life of the server. A soak grew the
    server by ~90 MB per 1,000 bookings and cancellations, 9,000 dead items per 200 of them.
    Track them weakly instead: data.json still lists what is alive; what is gone is forgotten."""
    import weakref

    from moto.core.common_models import BaseModel

    original = BaseModel.__dict__["__new__"]
    if getattr(original, "forgetful", False):
        return
    make = original.__func__ if isinstance(original, staticmethod) else original

    class Live:
        """A list's append and iteration over weak references (moto's items are unhashable, so
        no WeakSet): an object leaves when nothing else holds it."""

        def __init__(self) -> None:
            self.refs: dict[int, weakref.ref] = {}

        def append(self, instance) -> None:
            key, refs = id(instance), self.refs
            try:
                refs[key] = weakref.ref(instance, lambda _ref: refs.pop(key, None))
            except TypeError:
                pass  # an object that cannot be referenced weakly goes untracked

        def __iter__(self):
            return iter([i for i in (ref() for ref in list(self.refs.values())) if i is not None])

        def __len__(self) -> int:
            return len(self.refs)

    def __new__(cls, *args, **kwargs):
        tracked = cls.__dict__.get("instances_tracked")
        if type(tracked) is list:  # the class is new, or moto's reset put a list back
            live = Live()
            for instance in tracked:
                live.append(instance)
            cls.instances_tracked = live
        return make(cls, *args, **kwargs)

    __new__.forgetful = True
    BaseModel.__new__ = staticmethod(__new__)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    item_level_rollback()
    bounded_mailbox()
    partition_queries()
    cheap_index_projection()
    cheap_sends()
    cheap_receives()
    cheap_dispatch()
    cheap_item_answers()
    forgetful_models()
    app = Serialized(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
