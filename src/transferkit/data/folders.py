"""Folders of class sub-folders of media files (``<root>/<class>/<file>``), whatever the
medium: images and audio recordings are read the same way, each kind saying which files
are its own and why one of them cannot be used."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from transferkit.data.dataset import Dataset, Skipped, describe_path, handle_bad_input
from transferkit.errors import DataError


@dataclass(frozen=True)
class MediaKind:
    """One medium of files: ``check(path)`` is why a file of its type cannot be used, or
    ``None``; it must be cheap (headers, not contents, where it can)."""

    modality: str
    noun: str  # "image", "recording"
    suffixes: frozenset[str]
    check: Callable[[Path], str | None]
    example: str  # "<image>.jpg"

    def owns(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes and not path.name.startswith(".")


def walk_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every file under ``folder`` (sorted), and the sub-folders that could not be listed
    with why: ``rglob`` passes over those in silence, and their files would vanish."""
    unlistable: list[tuple[Path, str]] = []

    def noted(exc: OSError) -> None:
        unlistable.append((Path(exc.filename or folder), exc.strerror or type(exc).__name__))

    files = [
        Path(top) / name for top, _dirs, names in os.walk(folder, onerror=noted) for name in names
    ]
    return sorted(p for p in files if p.is_file()), sorted(unlistable)


def class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def holds_class_folders(root: Path, kind: MediaKind) -> bool:
    """True if some sub-folder of ``root`` holds files of ``kind``."""
    if not root.is_dir():
        return False
    return any(any(kind.owns(f) for f in sub.rglob("*")) for sub in class_folders(root))


def read_class_folders(
    root: Path, kind: MediaKind, on_bad_input: str, display_root: Path | None = None
) -> Dataset:
    """Every file of ``kind`` under ``root/<class>/`` (nested folders included), sorted by
    path. Files of its type that cannot be used are skipped and listed, or raise under
    ``on_bad_input="error"``; files of other types are left out and listed."""
    display_root = display_root or root
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; give a folder of class sub-folders.")
    inputs: list[Path] = []
    labels: list[str] = []
    origins: list[str] = []
    skipped: list[Skipped] = []
    for folder in class_folders(root):
        files, unlistable = walk_files(folder)
        for path, why in unlistable:
            where = describe_path(path, display_root)
            handle_bad_input(
                on_bad_input, where, f"cannot list folder ({why})", "fix its permissions", skipped
            )
        for path in files:
            where = describe_path(path, display_root)
            if path.name.startswith("."):
                continue
            if not kind.owns(path):
                kind_of = f"{_article(kind.modality)} file type ({path.suffix or 'no extension'})"
                skipped.append(Skipped(where, f"not {kind_of}"))
                continue
            reason = kind.check(path)
            if reason is not None:
                handle_bad_input(on_bad_input, where, reason, "remove or replace the file", skipped)
                continue
            inputs.append(path)
            labels.append(folder.name)
            origins.append(where)
    if not inputs:
        raise DataError(
            f"No {kind.noun}s found in {root}; put them in one sub-folder per class "
            f"({root}/<class>/{kind.example})."
        )
    return Dataset(
        inputs, labels, kind.modality, origins, describe_path(root, display_root), skipped
    )


def list_media(path: Path, kind: MediaKind) -> list[Path]:
    """Files of ``kind`` under ``path`` (a file or a folder, searched recursively)."""
    if path.is_file():
        return [path]
    files, unlistable = walk_files(path)
    if unlistable:
        where, why = unlistable[0]
        raise DataError(f"Cannot list folder {where} ({why}); fix its permissions or leave it out.")
    return [p for p in files if kind.owns(p)]


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
