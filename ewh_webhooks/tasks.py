"""Tasks a client owns (the pages a listing fetches ahead): closing the client
cancels what is still running, so nothing outlives its session."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["OwnedTasks"]

T = TypeVar("T")


class OwnedTasks:
    """A set of running tasks, cancelled together by `cancel_all()`."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            # Its owner may have gone (a listing abandoned mid-way): never leave an
            # exception unretrieved, the owner re-raises it when it awaits the task.
            task.exception()

    async def cancel_all(self) -> None:
        """Cancel every task still running and wait until they have ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
