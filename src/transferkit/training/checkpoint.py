"""Resumable training: the state of a run at every epoch boundary, kept on disk as data,
so that the same command run again after a crash (or ``kill -9``) resumes where it was.

A run that writes an output directory ``NAME`` keeps its checkpoints in the hidden sibling
``.NAME.resume/`` (``workflows.common.claims_output`` opens it, holding the directory's
claim, and removes it once the output is in place). Every ``Trainer.fit`` of the run is a
*stage*, numbered in the order the run starts them (lp-ft's two phases, a comparison's
cells); after each epoch a stage writes what continuing needs: every tensor of the
module, the optimiser's state, the best epoch's weights, the scheduler, the random states
(Python, NumPy, PyTorch, the loaders' shuffling generators) and the early-stopping counts.
A stage that finished records its final weights, so a resumed run skips it.

Tensors are written with safetensors and everything else as JSON (nothing is pickled),
each stage's files into a temporary folder renamed over the last one, so a kill leaves
the previous epoch's state whole. ``run.json`` holds the fingerprint of the command (its
arguments, the data's file sizes and times, transferkit's version): checkpoints of another
command are discarded, not resumed.
"""

from __future__ import annotations

import contextvars
import json
import os
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

_CURRENT: contextvars.ContextVar[Checkpoints | None] = contextvars.ContextVar(
    "transferkit_checkpoints", default=None
)
RUN_FILE = "run.json"


@dataclass
class StageState:
    """Where one stage was when it was saved."""

    epoch: int  # epochs completed
    done: bool  # the stage finished (its best weights restored)
    tensors: dict[str, torch.Tensor]  # model.*, best.*, optim.*, rng.*
    meta: dict[str, Any] = field(default_factory=dict)  # JSON: history, counts, states


class Checkpoints:
    def __init__(self, folder: Path, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.stage = 0
        self.resumed = False

    def open(self, resume: bool) -> str | None:
        """Keep the folder's checkpoints if they are this command's and ``resume``, else
        remove them (the folder is made again at the first save). Returns a sentence when
        something was found."""
        if not self.folder.is_dir():
            return None
        same = _read_json(self.folder / RUN_FILE).get("fingerprint") == self.fingerprint
        if same and resume and any(self.folder.glob("stage-*")):
            self.resumed = True
            return "Resuming an interrupted run of this command from its last saved epoch."
        shutil.rmtree(self.folder, ignore_errors=True)
        if same:
            return "Started over: --no-resume was given."
        return "Started over: the checkpoints there are of another command or data."

    def next_stage(self) -> int:
        self.stage += 1
        return self.stage - 1

    def load(self, stage: int) -> StageState | None:
        from safetensors.torch import load_file

        where = self.folder / f"stage-{stage}"
        if not self.resumed or not (where / "state.json").is_file():
            return None
        meta = _read_json(where / "state.json")
        tensors = load_file(str(where / "tensors.safetensors"))
        return StageState(int(meta.pop("epoch")), bool(meta.pop("done")), tensors, meta)

    def save(self, stage: int, state: StageState) -> None:
        from safetensors.torch import save_file

        if not (self.folder / RUN_FILE).is_file():
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / RUN_FILE).write_text(json.dumps({"fingerprint": self.fingerprint}))
        where = self.folder / f"stage-{stage}"
        tmp = self.folder / f".stage-{stage}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        tensors = {k: v.detach().contiguous().cpu() for k, v in state.tensors.items()}
        save_file(tensors, str(tmp / "tensors.safetensors"))
        meta = {"epoch": state.epoch, "done": state.done, **state.meta}
        (tmp / "state.json").write_text(json.dumps(meta))
        old = self.folder / f".stage-{stage}.old"
        if where.exists():
            os.replace(where, old)
        os.replace(tmp, where)
        shutil.rmtree(old, ignore_errors=True)

    def finish(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def current() -> Checkpoints | None:
    return _CURRENT.get()


@contextmanager
def checkpointing(checkpoints: Checkpoints) -> Iterator[Checkpoints]:
    token = _CURRENT.set(checkpoints)
    try:
        yield checkpoints
    finally:
        _CURRENT.reset(token)


# --- random states -------------------------------------------------------------------


def generators(*loaders: Any) -> list[torch.Generator]:
    """The shuffling generators a loader (or Accelerate's wrapper of one) draws from."""
    found: dict[int, torch.Generator] = {}
    for loader in loaders:
        for obj in (
            loader,
            getattr(loader, "sampler", None),
            getattr(getattr(loader, "batch_sampler", None), "sampler", None),
            getattr(loader, "base_dataloader", None),
        ):
            g = getattr(obj, "generator", None)
            if isinstance(g, torch.Generator):
                found.setdefault(id(g), g)
    return list(found.values())


def random_states(loaders: list[torch.Generator]) -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {"rng.torch": torch.get_rng_state()}
    for i, g in enumerate(loaders):
        tensors[f"rng.loader.{i}"] = g.get_state()
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    meta = {
        "numpy": [kind, keys.tolist(), pos, has_gauss, gauss],
        "python": _jsonable(random.getstate()),
    }
    return tensors, meta


def restore_random_states(
    tensors: dict[str, torch.Tensor], meta: dict, loaders: list[torch.Generator]
) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    for i, g in enumerate(loaders):
        g.set_state(tensors[f"rng.loader.{i}"])
    kind, keys, pos, has_gauss, gauss = meta["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    random.setstate(_tupled(meta["python"]))


def _jsonable(value: Any) -> Any:
    return [_jsonable(v) for v in value] if isinstance(value, tuple) else value


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


# --- optimiser -----------------------------------------------------------------------


def optimizer_state(optimizer: Any) -> tuple[dict[str, torch.Tensor], dict]:
    """An optimiser's state dict as tensors and a JSON skeleton."""
    sd = optimizer.state_dict()
    tensors, state = {}, {}
    for index, slots in sd["state"].items():
        state[str(index)] = {}
        for name, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value
                state[str(index)][name] = None
            else:
                state[str(index)][name] = value
    return tensors, {"state": state, "param_groups": sd["param_groups"]}


def load_optimizer_state(optimizer: Any, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """Load what ``optimizer_state`` wrote. A moment tensor takes its parameter's memory
    layout: the fused AdamW step walks both as flat memory, and a channels-last weight with
    a contiguous moment (how they read back) was updated wrongly, element for element."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    state = {}
    for index, slots in meta["state"].items():
        param = params[int(index)]
        state[int(index)] = {
            name: value
            if value is not None
            else _shaped_like(tensors[f"optim.{index}.{name}"], param)
            for name, value in slots.items()
        }
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def _shaped_like(value: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
    if value.shape != param.shape:
        return value
    return torch.empty_like(param, dtype=value.dtype).copy_(value)


# --- one Trainer.fit -----------------------------------------------------------------


@dataclass
class LoopState:
    """What the epoch loop carries from one epoch to the next."""

    history: Any
    best_score: tuple[float, float] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    bad_epochs: int = 0
    first: int = 0  # the epoch to run next
    done: bool = False  # a resumed stage that had finished


class Stage:
    """The checkpoints of one ``Trainer.fit`` (nothing at all outside a resumable run)."""

    def __init__(self, model: Any, optimizer: Any, scheduler: Any, loaders: list[Any]) -> None:
        self.run = current()
        self.index = self.run.next_stage() if self.run is not None else -1
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.generators = generators(*loaders)

    def resume(self, fresh: LoopState, replay: Any, history_from: Any) -> LoopState:
        """The saved progress of this stage, restored into the module, optimiser,
        scheduler and random states (``replay(epoch)`` re-runs each finished epoch's
        start hooks first, so the same parameters train); ``fresh`` when there is none."""
        saved = self.run.load(self.index) if self.run is not None else None
        if saved is None:
            return fresh
        for epoch in range(saved.epoch):
            replay(epoch)
        t, meta = saved.tensors, saved.meta
        state = {k[6:]: v for k, v in t.items() if k.startswith("model.")}
        self.model.load_state_dict(state, strict=False)
        if not saved.done:
            load_optimizer_state(self.optimizer, t, meta["optimizer"])
            self.scheduler.load_state_dict(meta["scheduler"])
        restore_random_states(t, meta["random"], self.generators)
        best = {k[5:]: v for k, v in t.items() if k.startswith("best.")} if meta["best"] else None
        score = tuple(meta["best_score"]) if meta["best_score"] is not None else None
        return LoopState(
            history_from(meta["history"]), score, best, meta["bad_epochs"], saved.epoch, saved.done
        )

    def save(self, state: LoopState, epoch: int, done: bool = False) -> None:
        if self.run is None:
            return
        tensors = {f"model.{k}": v for k, v in _changing(self.model).items()}
        if state.best_state is not None:
            tensors.update({f"best.{k}": v for k, v in state.best_state.items()})
        meta: dict[str, Any] = {
            "history": state.history.to_dict(),
            "best_score": state.best_score,
            "best": state.best_state is not None,
            "bad_epochs": state.bad_epochs,
        }
        if not done:
            opt_tensors, meta["optimizer"] = optimizer_state(self.optimizer)
            tensors.update(opt_tensors)
            meta["scheduler"] = self.scheduler.state_dict()
        rng_tensors, meta["random"] = random_states(self.generators)
        tensors.update(rng_tensors)
        self.run.save(self.index, StageState(epoch, done, _unshared(tensors), meta))


def _changing(model: Any) -> dict[str, torch.Tensor]:
    """What training may have changed: parameters that train now (those frozen all along
    are rebuilt as they were) and buffers (batch-norm statistics)."""
    frozen = {id(p) for p in model.parameters() if not p.requires_grad}
    state = model.state_dict(keep_vars=True)
    return {k: v.detach() for k, v in state.items() if id(v) not in frozen}


def _unshared(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """safetensors refuses tensors that share memory (tied weights): copies of those."""
    seen: set[int] = set()
    out = {}
    for name, t in tensors.items():
        ptr = t.data_ptr() if t.numel() else -len(out) - 1
        out[name] = t.clone() if ptr in seen else t
        seen.add(ptr)
    return out
