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
    """Progress on a rich console. Messages are plain text: whatever they quote (paths,
    class names, data set names) is escaped, so ``[bold]`` in a name prints as itself."""

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
        from rich.markup import escape

        with _Bar(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(escape(description), total=total)
            for item in items:
                yield item
                bar.advance(task)
        self.console.print(f"[dim]{escape(description)}: done[/dim]")

    def note(self, message: str) -> None:
        from rich.markup import escape

        self.console.print(escape(message), highlight=False)

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        from rich.markup import escape

        with self.console.status(escape(message)):
            yield


SILENT = Progress()
