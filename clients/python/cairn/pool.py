"""Bounded parallelism over threads: run `fn` over items with at most `limit` in flight, results
in input order. The first failure stops new work from starting and is raised once the work in
flight has stopped (so no request is left running behind the caller's back). Ctrl-C sets the
shared `cancel` event, which the transfers check between chunks.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_limit(
    items: Sequence[T], limit: int, fn: Callable[[T], R], cancel: threading.Event | None = None
) -> list[R]:
    if not items:
        return []
    stop = cancel if cancel is not None else threading.Event()
    results: list[R | None] = [None] * len(items)
    failures: list[BaseException] = []

    def work(index: int, item: T) -> None:
        if stop.is_set():
            return
        try:
            results[index] = fn(item)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            failures.append(err)
            stop.set()

    executor = ThreadPoolExecutor(max_workers=max(1, min(limit, len(items))))
    try:
        futures = [executor.submit(work, i, item) for i, item in enumerate(items)]
        for future in futures:
            future.result()
    except BaseException:
        stop.set()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    if failures:
        raise failures[0]
    return results  # type: ignore[return-value]
