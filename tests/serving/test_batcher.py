"""The micro-batcher on its own: order, sizes, waiting, failures."""

from __future__ import annotations

import asyncio
import time

import pytest

from transferkit.serving.batcher import Batcher


def _slow_double(sizes: list[int]):
    def run(items):
        sizes.append(len(items))
        time.sleep(0.02)  # as a model pass would take
        return [2 * x for x in items]

    return run


def _concurrently(batcher: Batcher, requests: list[list[int]]):
    async def go():
        return await asyncio.gather(*(batcher.submit(r) for r in requests))

    return asyncio.run(go())


@pytest.mark.parametrize("max_wait", [0.0, 0.005])
def test_requests_share_batches_and_each_gets_its_own_answers(max_wait):
    sizes: list[int] = []
    batcher = Batcher(_slow_double(sizes), max_batch=8, max_wait=max_wait)
    requests = [[i, i + 100] for i in range(20)]
    answers = _concurrently(batcher, requests)
    assert answers == [[2 * i, 2 * (i + 100)] for i in range(20)]
    assert max(sizes) <= 8 and len(sizes) < 20 and sum(sizes) == 40
    batcher.close()


def test_a_lone_request_does_not_wait_without_max_wait():
    sizes: list[int] = []
    batcher = Batcher(lambda items: sizes.append(len(items)) or items, max_batch=8, max_wait=0.0)
    start = time.perf_counter()
    assert _concurrently(batcher, [[1]]) == [[1]]
    assert time.perf_counter() - start < 0.5 and sizes == [1]
    batcher.close()


def test_a_failing_batch_fails_its_requests_and_the_next_batch_runs():
    calls = []

    def run(items):
        calls.append(list(items))
        if -1 in items:
            raise RuntimeError("the model failed")
        return items

    batcher = Batcher(run, max_batch=4, max_wait=0.0)

    async def go():
        with pytest.raises(RuntimeError):
            await batcher.submit([-1])
        return await batcher.submit([5])

    assert asyncio.run(go()) == [5]
    batcher.close()
