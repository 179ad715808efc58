"""Races with real transactions: each call runs in its own thread, so on its own
PostgreSQL connection, and all are released at the same instant by a barrier.
Tests using it need `django_db(transaction=True)` so the threads see committed rows."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(*calls: Callable[[], object], timeout: float = 30) -> list[object]:
    """Each call's return value, or the exception it raised, in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
