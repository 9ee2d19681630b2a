"""Progress bars and status lines, silent unless asked for (the CLI turns them on)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class Progress:
    """Reports work to a console; the base class reports nothing."""

    def track(self, items: Iterable[T], total: int | None, description: str) -> Iterator[T]:
        yield from items

    def note(self, message: str) -> None:
        """A one-line status message (what was chosen, what was skipped)."""

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        yield


class RichProgress(Progress):
    def __init__(self, console: object | None = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)

    def track(self, items: Iterable[T], total: int | None, description: str) -> Iterator[T]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _Bar

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with _Bar(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)
        self.console.print(f"[dim]{description}: done[/dim]")

    def note(self, message: str) -> None:
        self.console.print(message)

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        with self.console.status(message):
            yield


SILENT = Progress()
