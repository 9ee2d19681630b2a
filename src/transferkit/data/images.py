"""Image folders: ``<root>/<class>/<image>`` (ImageFolder layout)."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from transferkit.data.dataset import Dataset, Skipped, describe_path, handle_bad_input
from transferkit.errors import DataError

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
)


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def check_image(path: Path) -> str | None:
    """Why the file cannot be used as an image, or ``None``. Cheap: it reads the header and
    the last bytes (a truncated JPEG lacks its end marker), not the pixels."""
    try:
        with Image.open(path) as img:
            fmt = img.format
            width, height = img.size
    except Image.DecompressionBombError:
        return "claims more pixels than any real photo (a decompression bomb)"
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        return f"not a readable image ({exc.__class__.__name__})"
    if width < 1 or height < 1:
        return "image has no pixels"
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 1024))
            tail = fh.read()
    except OSError as exc:
        return f"cannot read file ({exc.strerror})"
    if fmt == "JPEG" and b"\xff\xd9" not in tail:
        return "truncated JPEG (no end-of-image marker)"
    if fmt == "PNG" and b"IEND" not in tail:
        return "truncated PNG (no IEND chunk)"
    return None


def walk_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every file under ``folder`` (sorted), and the sub-folders that could not be listed
    with why: ``rglob`` passes over those in silence, and their images would vanish."""
    unlistable: list[tuple[Path, str]] = []

    def noted(exc: OSError) -> None:
        unlistable.append((Path(exc.filename or folder), exc.strerror or type(exc).__name__))

    files = [
        Path(top) / name for top, _dirs, names in os.walk(folder, onerror=noted) for name in names
    ]
    return sorted(p for p in files if p.is_file()), sorted(unlistable)


def class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def looks_like_image_folder(root: Path) -> bool:
    """True if some sub-folder of ``root`` holds image files."""
    if not root.is_dir():
        return False
    return any(any(is_image_file(f) for f in sub.rglob("*")) for sub in class_folders(root))


def read_image_folder(root: Path, on_bad_input: str, display_root: Path | None = None) -> Dataset:
    """Every image under ``root/<class>/`` (nested folders included), sorted by path.

    Files with image extensions that cannot be opened are skipped and listed, or raise
    under ``on_bad_input="error"``; files of other types are left out and listed.
    """
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
            if not is_image_file(path):
                skipped.append(
                    Skipped(where, f"not an image file type ({path.suffix or 'no extension'})")
                )
                continue
            reason = check_image(path)
            if reason is not None:
                handle_bad_input(on_bad_input, where, reason, "remove or replace the file", skipped)
                continue
            inputs.append(path)
            labels.append(folder.name)
            origins.append(where)
    if not inputs:
        raise DataError(
            f"No images found in {root}; put them in one sub-folder per class "
            f"({root}/<class>/<image>.jpg)."
        )
    return Dataset(
        inputs, labels, "image", origins, name=describe_path(root, display_root), skipped=skipped
    )


def list_images(path: Path) -> list[Path]:
    """Image files under ``path`` (a file or a folder, searched recursively)."""
    if path.is_file():
        return [path]
    files, unlistable = walk_files(path)
    if unlistable:
        where, why = unlistable[0]
        raise DataError(f"Cannot list folder {where} ({why}); fix its permissions or leave it out.")
    return [p for p in files if is_image_file(p)]
