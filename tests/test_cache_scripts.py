"""core.cache.run_script: the hot paths' Lua scripts on a connection each thread keeps,
recovering from what a long-running process meets (issue 8)."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from core.cache import redis_client, run_script

pytestmark = pytest.mark.django_db

COUNT = "return redis.call('INCR', KEYS[1])"


def test_a_script_the_server_forgot_is_loaded_again():
    client = redis_client()
    assert run_script(client, COUNT, keys=["t:count"], args=[]) == 1
    client.script_flush()  # a Redis restart or SCRIPT FLUSH
    assert run_script(client, COUNT, keys=["t:count"], args=[]) == 2


def test_a_connection_the_server_closed_is_replaced_at_the_next_call():
    client = redis_client()
    assert run_script(client, COUNT, keys=["t:other"], args=[]) == 1
    # the server drops every other client (a restart, a timeout): this thread's connection too
    client.client_kill_filter(skipme=True, _type="normal")
    try:
        second = run_script(client, COUNT, keys=["t:other"], args=[])
    except RedisConnectionError:  # raised once (validate then fails open), never twice
        second = run_script(client, COUNT, keys=["t:other"], args=[])
    assert second == 2


def test_each_thread_has_its_own_connection():
    import threading

    client = redis_client()
    results = []

    def count():
        results.extend(run_script(client, COUNT, keys=["t:threads"], args=[]) for _ in range(50))

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 201))  # no reply read by the wrong thread


def test_a_forked_child_opens_its_own_connection():
    import os

    from core import cache

    client = redis_client()
    assert run_script(client, COUNT, keys=["t:fork"], args=[]) == 1
    parents = cache._direct.entries[id(client)][1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: counts on a connection of its own, then leaves at once
        try:
            count = run_script(client, COUNT, keys=["t:fork"], args=[])
            own = cache._direct.entries[id(client)][1] is not parents
            os.write(write, f"{count} {own}".encode())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 32) == b"2 True"
    assert run_script(client, COUNT, keys=["t:fork"], args=[]) == 3  # the parent's still works
    assert cache._direct.entries[id(client)][1] is parents
