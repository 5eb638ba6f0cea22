"""`chalice local` with a listen backlog sized for bursts.

chalice local's HTTP server keeps socketserver's default backlog of 5 connections, so a burst
of 50 simultaneous clients (the booking race tests, a frontend retry storm) gets connection
resets before any request reaches the app. API Gateway queues such bursts; raising the backlog
makes the local stack behave the same. Everything else is the stock `chalice local`.
"""
import sys

from chalice import local
from chalice.cli import main

from local import gateway

local.ThreadedHTTPServer.request_queue_size = 256
gateway.install()  # authorizer rejections as problem+json, like the deployed gateway

if __name__ == "__main__":
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
