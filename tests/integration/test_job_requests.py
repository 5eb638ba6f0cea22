"""Scheduled jobs whose requests must not grow with the number of offices (issue 14), run through
their handlers as Lambda runs them, at 400 offices (the seed's 41 and copies: bench/jobs.py)."""
from bench.jobs import add_copies, scheduled
from chalicelib.booking import offices


def test_a_deadline_watch_run_with_nothing_open_at_400_offices_is_two_requests(
        aws, dynamodb_requests):
    from chalicelib.triage.jobs import watch_deadlines

    add_copies(400 - len(offices.seed()))
    offices.refresh()
    assert len(offices.home_offices()) == 400
    dynamodb_requests.clear()
    counts = scheduled(watch_deadlines)  # past the directory's TTL: its Scan counts too
    assert counts == {"reminded": 0, "breached": 0, "escalated": 0, "skipped": 0}
    assert dynamodb_requests == ["Scan", "Query"]
