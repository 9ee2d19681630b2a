"""One run at a time per output directory: a claim taken before any work and held until
the directory is in place.

A claim is an exclusive ``flock`` on a hidden sibling file ``.NAME.lock``: a second run
that asks for the same directory fails at once, and a run killed with SIGKILL releases it
with its process, so the next run takes it over and tidies what the killed one left:
a half-assembled ``.NAME.partial-*`` folder is removed, and an ``.NAME.old-*`` copy that a
kill between the two renames of ``--overwrite`` left in place of the model is moved back.
Claiming also proves that the directory can be written, before the work starts.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from transferkit.errors import ModelDirError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: claims are not exclusive there
    fcntl = None  # type: ignore[assignment]

#: output directory -> its lock file's descriptor, for the claims this process holds
_HELD: dict[Path, int] = {}


def lock_file(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def resume_folder(out: Path) -> Path:
    """Where a run writing ``out`` keeps its training checkpoints (``training.checkpoint``);
    tidying leaves it, so the next run can resume from it."""
    return out.parent / f".{out.name}.resume"


def leftovers(out: Path) -> list[Path]:
    """Hidden folders of an earlier write of ``out`` that did not finish."""
    if not out.parent.is_dir():
        return []
    return sorted(
        p
        for p in out.parent.iterdir()
        if p.name.startswith((f".{out.name}.partial-", f".{out.name}.old-")) and p.is_dir()
    )


def _unwritable(out: Path, exc: OSError) -> ModelDirError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, (NotADirectoryError, FileExistsError)) or exc.errno == errno.ENOTDIR:
        reason = "a part of the path is a file, not a folder"
    return ModelDirError(f"Cannot write {out} ({reason}); choose another --out.")


def _lock(out: Path) -> int:
    """The descriptor of ``out``'s lock file, locked; ``ModelDirError`` if another run holds
    it or the folder cannot be written."""
    path = lock_file(out)
    while True:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _unwritable(out, exc) from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ModelDirError(
                f"Another transferkit run is writing {out} right now; wait for it to finish, "
                "or choose another --out."
            ) from None
        try:  # the holder before us may have removed the file it locked: lock the new one
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def tidy(out: Path) -> list[str]:
    """Remove or restore what an interrupted write of ``out`` left; what was done, said."""
    done = []
    for path in leftovers(out):
        if ".old-" in path.name and not out.exists():
            os.replace(path, out)
            done.append(f"restored {out} from an interrupted --overwrite")
        else:
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed {path.name}, left by an interrupted run")
    return done


def acquire(out: Path) -> list[str]:
    """Claim ``out`` for this process (again, if it holds it already); returns what was
    tidied from an interrupted run."""
    out = out.expanduser().absolute()
    if out in _HELD:
        return []
    _HELD[out] = _lock(out)
    return tidy(out)


def release(out: Path) -> None:
    out = out.expanduser().absolute()
    fd = _HELD.pop(out, None)
    if fd is None:
        return
    with suppress(OSError):
        os.unlink(lock_file(out))
    os.close(fd)


def holds(out: Path) -> bool:
    return out.expanduser().absolute() in _HELD


@contextmanager
def claimed(out: Path) -> Iterator[list[str]]:
    """Hold the claim on ``out`` for the block (unless an outer block holds it)."""
    outer = holds(out)
    tidied = acquire(out)
    try:
        yield tidied
    finally:
        if not outer:
            release(out)
