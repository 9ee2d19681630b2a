"""Image folders: ``<root>/<class>/<image>`` (ImageFolder layout)."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from transferkit.data.dataset import Dataset
from transferkit.data.folders import (
    MediaKind,
    holds_class_folders,
    list_media,
    read_class_folders,
)

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


IMAGES = MediaKind("image", "image", IMAGE_SUFFIXES, check_image, "<image>.jpg")


def looks_like_image_folder(root: Path) -> bool:
    """True if some sub-folder of ``root`` holds image files."""
    return holds_class_folders(root, IMAGES)


def read_image_folder(root: Path, on_bad_input: str, display_root: Path | None = None) -> Dataset:
    """Every image under ``root/<class>/`` (nested folders included), sorted by path.

    Files with image extensions that cannot be opened are skipped and listed, or raise
    under ``on_bad_input="error"``; files of other types are left out and listed.
    """
    return read_class_folders(root, IMAGES, on_bad_input, display_root)


def list_images(path: Path) -> list[Path]:
    """Image files under ``path`` (a file or a folder, searched recursively)."""
    return list_media(path, IMAGES)
