"""Calls released together in threads, for the tests of locks and races."""

from __future__ import annotations

from collections.abc import Callable


def at_once(calls: dict[str, Callable[[], object]], expected: type[Exception]) -> dict[str, object]:
    """Run each call in its own thread, released together, each with its own database
    connection; the outcome of each is its result or the `expected` exception it raised."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    outcomes: dict[str, object] = {}

    def run(name: str, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[name] = call()
        except expected as error:
            outcomes[name] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
