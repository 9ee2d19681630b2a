"""Where the command line writes: results to standard output, progress and errors to
standard error (only from the main process under ``accelerate launch``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)

__all__ = ["err", "escape", "is_main", "out", "progress", "starting"]


def is_main() -> bool:
    from transferkit.runtime import is_main_process

    return is_main_process()


def progress() -> Any:
    from transferkit.progress import SILENT, RichProgress

    return RichProgress(err) if is_main() else SILENT


def starting(command: str) -> None:
    """One line at once on a terminal, before PyTorch and the data load (1-6 s on two
    cores), so a long command never starts in silence; not in pipes and logs, where an
    error stays the one sentence it is."""
    if err.is_terminal and is_main():
        err.print(f"[dim]transferkit {command}: loading PyTorch and the data...[/dim]")
