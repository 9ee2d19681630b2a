"""Where the command line writes: results to standard output, progress and errors to
standard error (only from the main process under ``accelerate launch``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)

__all__ = ["err", "escape", "is_main", "out", "progress"]


def is_main() -> bool:
    from transferkit.runtime import is_main_process

    return is_main_process()


def progress() -> Any:
    from transferkit.progress import SILENT, RichProgress

    return RichProgress(err) if is_main() else SILENT
