"""The on-disk embedding cache: a frozen backbone embeds each example once, ever.

Features are keyed by the backbone's fingerprint (weights and preprocessing) and by the
content of each input (the bytes of an image file, the text itself), so a second run, a
different head, or a renamed copy of the same file costs no backbone pass, while any change
to the weights, the preprocessing or a file's bytes is a miss. One SQLite file per backbone
fingerprint holds ``key -> float32 vector``; SQLite makes concurrent writers safe.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from transferkit.data.identity import content_key
from transferkit.errors import ConfigError
from transferkit.runtime import cache_dir

__all__ = ["FeatureCache", "content_key"]


class FeatureCache:
    """``get``/``put`` feature vectors by (space, key); ``space`` is a backbone fingerprint."""

    def __init__(
        self, root: str | Path | None = None, enabled: bool = True, engine: str = "auto"
    ) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "features"
        self.enabled = enabled
        self.engine = engine  # what computes features missing from it (features/extract.py)

    def check_writable(self) -> None:
        """Fail before any work, in one sentence, if the cache folder cannot be written."""
        if not self.enabled:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as exc:
            raise self._unwritable(exc) from None

    def _unwritable(self, exc: Exception) -> ConfigError:
        reason = getattr(exc, "strerror", None) or str(exc)
        return ConfigError(
            f"The feature cache folder {self.root} cannot be written ({reason}); set "
            "TRANSFERKIT_CACHE to a folder you can write."
        )

    def _connect(self, space: str) -> sqlite3.Connection:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            return self._open(space)
        except (OSError, sqlite3.OperationalError) as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise self._unwritable(exc) from None

    def _open(self, space: str) -> sqlite3.Connection:
        con = sqlite3.connect(self.root / f"{space}.sqlite", timeout=60)
        # Switching a new file to WAL takes a lock that SQLite does not wait for: when
        # several processes (accelerate launch) open the cache at once, one of them gets
        # "database is locked" at once, whatever the timeout. The mode persists in the
        # file, so retrying until one process has switched it is enough.
        deadline = time.monotonic() + 60
        while True:
            try:
                con.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        con.execute("CREATE TABLE IF NOT EXISTS features (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        return con

    def get(self, space: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        if not self.enabled or not keys or not (self.root / f"{space}.sqlite").exists():
            return {}
        found: dict[str, np.ndarray] = {}
        con = self._connect(space)
        try:
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in con.execute(
                    f"SELECT key, vec FROM features WHERE key IN ({marks})", chunk
                ):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        finally:
            con.close()
        return found

    def put(self, space: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        if not self.enabled:
            return
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        if not rows:
            return
        con = self._connect(space)
        try:
            with con:
                con.executemany("INSERT OR REPLACE INTO features (key, vec) VALUES (?, ?)", rows)
        finally:
            con.close()

    def clear(self) -> None:
        if self.root.exists():
            for f in self.root.glob("*.sqlite*"):
                f.unlink()
