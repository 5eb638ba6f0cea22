"""Counting what callers may do: identity-proof attempts and per-client request rates.

Shared by booking and triage (and any later context with a proof or a hoardable resource):
`domain` is the arithmetic of a window, `repository` the DynamoDB counters, `service` the
`Limiter` the other services call.
"""
