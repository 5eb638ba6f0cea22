"""`make run` (local/stack.py) with a dead part: the stack says which part exited and with what
code, and stops the others instead of serving a half-dead stack."""
import sys

from local.stack import Stack


def test_a_part_that_exits_stops_the_stack_with_its_name_and_code(capsys):
    stack = Stack("127.0.0.1", 0, 0, env={})
    running = stack.spawn("moto", sys.executable, "-c", "import time; time.sleep(60)")
    stack.spawn("the worker", sys.executable, "-c", "raise SystemExit(3)")
    try:
        assert stack.watch(every=0.05) == 1
    finally:
        stack.stop()
    assert running.poll() is not None  # the other part is stopped too
    message = capsys.readouterr().err
    assert "the worker exited with code 3" in message and "make run" in message
