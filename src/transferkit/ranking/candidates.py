"""Which backbones to rank: the ones named, or every installed one of the data's modality.

A backbone that cannot be ranked on this data (another modality, weights missing) is
left out with a one-line reason and the others are still ranked; only when none is left
is that an error. An unknown name fails at once, before any backbone has run, because it
is almost always a typo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from transferkit.backbones import BACKBONES, Backbone, create_backbone
from transferkit.errors import ConfigError, IncompatibleError

Models = str | Sequence["str | Backbone"] | Mapping[str, "str | Backbone"] | None


@dataclass
class Candidate:
    """A backbone to rank, built only when its turn comes (building loads weights)."""

    name: str
    build: Callable[[], Backbone]


@dataclass(frozen=True)
class LeftOut:
    """A backbone that was not ranked, and why (a clause: "it is an image backbone ...")."""

    name: str
    reason: str

    def sentence(self) -> str:
        return f"Left out {self.name}: {self.reason}."


def modality_problem(name: str, modality: str, data_modality: str) -> LeftOut | None:
    if modality == data_modality:
        return None
    return LeftOut(
        name, f"it is {_article(modality)} {modality} backbone and the data holds {data_modality}s"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def resolve(models: Models, data_modality: str) -> tuple[list[Candidate], list[LeftOut]]:
    """Candidates and left-out backbones for ``models`` (None: every installed backbone
    of the data's modality; a comma-separated string, a list of names or backbones, or a
    mapping of display names to names or backbones)."""
    if models is None:
        return _installed(data_modality)
    pairs = _named_pairs(models)
    candidates, left_out = [], []
    for name, model in pairs:
        if isinstance(model, Backbone):
            candidates.append(Candidate(name, lambda m=model: m))
            continue
        if model in BACKBONES:
            entry = BACKBONES.get(model)
            problem = modality_problem(name, entry.modality, data_modality)
            if problem is not None:
                left_out.append(problem)
                continue
        elif ":" not in model and not _is_folder(model):
            BACKBONES.entry(model)  # raises UnknownNameError with suggestions
        candidates.append(Candidate(name, lambda m=model: create_backbone(m)))
    return candidates, left_out


def _named_pairs(models: Models) -> list[tuple[str, str | Backbone]]:
    if isinstance(models, str):
        items: list[tuple[str, str | Backbone]] = [
            (m.strip(), m.strip()) for m in models.split(",") if m.strip()
        ]
    elif isinstance(models, Mapping):
        items = [(str(k), v) for k, v in models.items()]
    else:
        items = [(m.source if isinstance(m, Backbone) else str(m), m) for m in models]
    if not items:
        raise ConfigError("No backbones were named; name at least one, or leave --models out.")
    names = [n for n, _ in items]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            f"The backbone {', '.join(repeated)} is named twice; name each once (give "
            "different weights of one architecture different names with a mapping)."
        )
    return items


def _is_folder(name: str) -> bool:
    from pathlib import Path

    return Path(name).expanduser().is_dir()


def _installed(data_modality: str) -> tuple[list[Candidate], list[LeftOut]]:
    entries = [e.obj for e in BACKBONES if not e.obj.for_tests]
    ours = [e for e in entries if e.modality == data_modality]
    candidates = [
        Candidate(e.name, lambda n=e.name: create_backbone(n)) for e in ours if e.available()
    ]
    left_out = [
        LeftOut(e.name, f"its weights are not installed (`{e.install}`)")
        for e in ours
        if not e.available()
    ]
    if not candidates:
        raise IncompatibleError(
            f"No {data_modality} backbone has its weights on this machine; install one "
            "(`transferkit models` lists them and how) or name one with --models."
        )
    return candidates, left_out


def none_left(data: str, left_out: list[LeftOut], data_modality: str) -> IncompatibleError:
    """The error when every named backbone was left out: one sentence with every reason."""
    reasons = "; ".join(f"{x.name}: {x.reason}" for x in left_out)
    return IncompatibleError(
        f"No backbone could be ranked on {data} ({reasons}); name {data_modality} backbones "
        "(`transferkit models` lists them)."
    )
