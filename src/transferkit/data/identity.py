"""What identifies an input: the digest of its content, whatever its name or place. The
feature cache keys on it, and the target domain of adaptation is ordered by it (so folder
names, which may be labels, cannot change what training sees)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np


def content_key(raw: Any) -> str:
    """Digest of an input's content: file bytes for paths, UTF-8 for texts, raw bytes for
    arrays, in-memory images and ``(samples, rate)`` recordings."""
    h = hashlib.blake2b(digest_size=16)
    if isinstance(raw, Path):
        with open(raw, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    elif isinstance(raw, str):
        h.update(b"text:" + raw.encode("utf-8"))
    elif isinstance(raw, np.ndarray):
        h.update(f"array:{raw.dtype}:{raw.shape}:".encode() + np.ascontiguousarray(raw).tobytes())
    elif isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[0], np.ndarray):
        samples = np.ascontiguousarray(raw[0])  # a recording: (samples, sample rate)
        h.update(f"audio:{int(raw[1])}:{samples.dtype}:{samples.shape}:".encode())
        h.update(samples.tobytes())
    elif hasattr(raw, "tobytes") and hasattr(raw, "mode"):  # PIL image
        h.update(f"pil:{raw.mode}:{raw.size}:".encode() + raw.tobytes())
    else:
        raise TypeError(f"cannot key input of type {type(raw).__name__}")
    return h.hexdigest()
