"""The local API (`python -m local.api`, what `make run` serves) answers keep-alive requests
without Nagle's delay: chalice local writes an answer's headers and body in two sends, and with
Nagle on the body waited for the client's delayed ACK (~40 ms an answer)."""
import socket

from chalice import local as chalice_local
from chalice.config import Config

import local.api  # noqa: F401  (configures chalice local's server and handler)
from app import app


def test_the_local_api_turns_nagle_off_on_every_connection():
    seen = []

    class Probe(chalice_local.ChaliceRequestHandler):
        def handle(self):
            seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()):
            connection, address = listener.accept()
            with connection:
                Probe(connection, address, None, app, Config.create(chalice_stage="test"))
    assert seen and seen[0] != 0
