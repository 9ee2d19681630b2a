"""What every workflow shares: the output directory, the feature cache, the device, the
default backbone for the data's modality."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from transferkit.backbones import Backbone, create_backbone, default_backbone
from transferkit.data.memory import labels_in_second_place
from transferkit.errors import IncompatibleError
from transferkit.features import FeatureCache
from transferkit.models import claim
from transferkit.models.artifact import check_writable
from transferkit.progress import SILENT
from transferkit.runtime import device_profile, is_main_process, num_processes
from transferkit.training.checkpoint import Checkpoints, checkpointing

Workflow = TypeVar("Workflow", bound=Callable[..., Any])


def accepts_xy(names_listed: bool = False) -> Callable[[Workflow], Workflow]:
    """Let ``workflow(data, ...)`` be called as scikit-learn users call ``fit``:
    ``workflow(X, y, model=...)``. A second positional argument that is labels for data in
    memory (``data.memory.labels_in_second_place``) is passed on as ``y=``."""

    def wrap(workflow: Workflow) -> Workflow:
        @functools.wraps(workflow)
        def run(data: Any, *args: Any, **kwargs: Any) -> Any:
            if args and "y" not in kwargs and labels_in_second_place(data, args[0], names_listed):
                kwargs["y"], args = args[0], args[1:]
            return workflow(data, *args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap


def claims_output(workflow: Workflow) -> Workflow:
    """Run ``workflow`` holding the claim on its ``out`` directory (``models.claim``): a
    second run writing the same directory fails at once rather than after its work, and
    what a killed run left there is tidied (and said) first. Training checkpoints at every
    epoch into ``.NAME.resume/`` (``training.checkpoint``), so the same call after a crash
    resumes; ``resume=False`` starts over. Only the main process of a distributed run
    writes, so only it claims (and a distributed run does not resume)."""

    @functools.wraps(workflow)
    def run(*args: Any, out: str | Path | None = None, resume: bool = True, **kwargs: Any) -> Any:
        if out is None or not is_main_process():
            return workflow(*args, out=out, **kwargs)
        path = Path(out).expanduser().absolute()
        say = kwargs.get("progress", SILENT).note
        with claim.claimed(path) as tidied:
            for line in tidied:
                say(line)
            if num_processes() > 1:
                return workflow(*args, out=path, **kwargs)
            checkpoints = Checkpoints(
                claim.resume_folder(path), run_fingerprint(workflow, args, kwargs)
            )
            if (found := checkpoints.open(resume)) is not None:
                say(found)
            with checkpointing(checkpoints):
                result = workflow(*args, out=path, **kwargs)
            checkpoints.finish()
            return result

    return run  # type: ignore[return-value]


def run_fingerprint(workflow: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str:
    """What a run's checkpoints belong to: the call (arguments that are plain values), the
    sizes and times of the data's files, and transferkit's version."""
    from importlib import metadata

    from transferkit.data.memory import DATA_OPTIONS, digest

    plain = (str, int, float, bool, type(None), Path)
    values = (*plain, list, tuple, dict)
    call = {
        "workflow": workflow.__name__,
        "args": [str(a) if isinstance(a, plain) else digest(a) for a in args],
        "kwargs": {  # --overwrite decides where the result may go, not what it is
            k: digest(v) if k in DATA_OPTIONS else v
            for k, v in sorted(kwargs.items())
            if k != "overwrite" and (isinstance(v, values) or k in DATA_OPTIONS)
        },
        "version": metadata.version("transferkit"),
    }
    h = hashlib.blake2b(json.dumps(call, sort_keys=True, default=str).encode(), digest_size=16)
    for arg in (*args, kwargs.get("target"), kwargs.get("second")):
        if isinstance(arg, (str, Path)) and Path(arg).exists():
            root = Path(arg)
            for f in sorted(root.rglob("*")) if root.is_dir() else [root]:
                with contextlib.suppress(OSError):
                    st = f.stat()
                    h.update(f"{f}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def output_path(out: str | Path | None, overwrite: bool) -> Path | None:
    """The output directory, checked before any work: an existing one is only replaced
    when asked, and only if transferkit wrote it."""
    if out is None:
        return None
    path = Path(out).expanduser()
    check_writable(path, overwrite)
    return path


def feature_cache(cache: bool | FeatureCache, engine: str = "auto") -> FeatureCache:
    """A ``FeatureCache`` from what a caller passes: one to share, or on/off; ``engine``
    computes what it lacks."""
    if isinstance(cache, FeatureCache):
        return cache
    made = FeatureCache(enabled=bool(cache), engine=engine)
    made.check_writable()
    return made


def placed(backbone: Backbone) -> Backbone:
    """The backbone on this machine's device, in the memory layout that runs fastest here."""
    profile = device_profile()
    return backbone.to(profile.device).use_channels_last(profile.channels_last)


def backbone_for(
    name: str | None,
    modality: str,
    data: Any,
    *,
    pretrained: bool = True,
    weights: str | Path | None = None,
) -> Backbone:
    """Build and place the named backbone (or the default one for ``modality``), checking
    that it reads what ``data`` holds."""
    if name is None and modality == "features":  # vectors in memory: as wide as they are
        name = f"features:{data.width}"
    chosen = name or default_backbone(modality)
    backbone = create_backbone(chosen, pretrained=pretrained, weights=weights)
    if backbone.modality != modality:
        raise IncompatibleError(
            f"{chosen} is {_a(backbone.modality)} model but {data} holds {modality}s; choose "
            f"{_a(modality)} backbone (`transferkit models` lists them)."
        )
    return placed(backbone)


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
