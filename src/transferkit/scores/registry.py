"""The registry of transferability scores and one way to call any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from transferkit.errors import IncompatibleError
from transferkit.registry import Registry

Needs = Literal["features", "source_probs"]


@dataclass(frozen=True, kw_only=True)
class ScoreSpec:
    """A score: ``fn(x, labels) -> float`` where x is what ``needs`` names.

    ``features`` are the backbone's [n, d] embeddings of the target examples;
    ``source_probs`` are its source classifier's [n, Z] predicted probabilities.
    """

    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    needs: Needs
    higher_is_better: bool = True
    description: str
    title: str = ""  # how messages name the score ("LogME"); defaults to ``name``


#: Every score: one module of this package each, registered with ``@register_score``.
SCORES: Registry[ScoreSpec] = Registry(
    "transferability score", list_command="transferkit scores", packages=["transferkit.scores"]
)

F = TypeVar("F", bound=Callable[..., float])


def register_score(
    name: str, *, title: str, needs: Needs, description: str, higher_is_better: bool = True
) -> Callable[[F], F]:
    """Register ``fn(x, labels) -> float`` as the score ``name`` (``x`` is what ``needs``
    names); the function itself is returned unchanged, to be called directly too."""

    def decorate(fn: F) -> F:
        spec = ScoreSpec(
            name=name,
            fn=fn,
            needs=needs,
            higher_is_better=higher_is_better,
            description=description,
            title=title,
        )
        SCORES.register(name, needs=needs)(spec)
        return fn

    return decorate


def list_scores(needs: Needs | None = None) -> list[ScoreSpec]:
    """All scores by name, or only those computed from ``needs``."""
    return [e.obj for e in SCORES if needs is None or e.obj.needs == needs]


def compute_score(
    name: str,
    *,
    features: np.ndarray | None = None,
    source_probs: np.ndarray | None = None,
    labels: np.ndarray,
    backbone_name: str | None = None,
) -> float:
    """Compute the score ``name`` from whichever input it needs.

    Raises:
        UnknownNameError: ``name`` is not registered.
        IncompatibleError: the input the score needs was not given.
        DataError: the labels or the input cannot be scored (one class, too few examples,
            mismatched lengths, NaN values, ...).
    """
    spec = SCORES.get(name)
    given = features if spec.needs == "features" else source_probs
    if given is None:
        raise IncompatibleError(_missing_message(spec, backbone_name))
    return float(spec.fn(given, labels))


def _missing_message(spec: ScoreSpec, backbone_name: str | None) -> str:
    title = spec.title or spec.name
    others = _either(s.name for s in list_scores("features"))
    if spec.needs == "source_probs":
        who = f"backbone {backbone_name!r}" if backbone_name else "this backbone"
        return (
            f"{title} needs the predictions of the backbone's source classifier, and {who} "
            f"has none here; pass source_probs, or use a feature-based score ({others}) instead."
        )
    others = _either(s.name for s in list_scores("source_probs"))
    return (
        f"{title} needs the backbone's features, and none were given; pass features, or use "
        f"a score of the source predictions ({others}) instead."
    )


def _either(names: Iterable[str]) -> str:
    *rest, last = names
    return f"{', '.join(rest)} or {last}" if rest else last
