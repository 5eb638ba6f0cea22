"""`chalice local` with a listen backlog sized for bursts.

chalice local's HTTP server keeps socketserver's default backlog of 5 connections, so a burst
of 50 simultaneous clients (the booking race tests, a frontend retry storm) gets connection
resets before any request reaches the app. API Gateway queues such bursts; raising the backlog
makes the local stack behave the same.

Its request handler writes the headers and the body of an answer in separate sends; on a
keep-alive connection Nagle's algorithm then holds the body back until the client's delayed ACK
(~40 ms an answer here: a keep-alive GET /v1/health took 44 ms, and 0.3 ms with TCP_NODELAY).
Everything else is the stock `chalice local`.
"""
import sys

from chalice import local
from chalice.cli import main

from local import gateway

local.ThreadedHTTPServer.request_queue_size = 256
local.ChaliceRequestHandler.disable_nagle_algorithm = True  # TCP_NODELAY on each connection
gateway.install()  # authorizer rejections as problem+json, like the deployed gateway

if __name__ == "__main__":
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
