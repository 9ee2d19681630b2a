"""The registry of transferability scores and one way to call any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from transferkit.errors import IncompatibleError
from transferkit.registry import Registry
from transferkit.scores.hscore import hscore
from transferkit.scores.leep import leep
from transferkit.scores.logme import logme
from transferkit.scores.nce import nce_from_probs
from transferkit.scores.proxies import knn_accuracy, linear_probe_accuracy

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


SCORES: Registry[ScoreSpec] = Registry("transferability score")


_SPECS = (
    ScoreSpec(
        name="logme",
        title="LogME",
        fn=logme,
        needs="features",
        description="Maximised evidence of a Bayesian linear model (You et al., ICML 2021).",
    ),
    ScoreSpec(
        name="leep",
        title="LEEP",
        fn=leep,
        needs="source_probs",
        description="Log expected empirical prediction of the source head "
        "(Nguyen et al., ICML 2020).",
    ),
    ScoreSpec(
        name="nce",
        title="NCE",
        fn=nce_from_probs,
        needs="source_probs",
        description="Negative conditional entropy of the labels given the source classes "
        "(Tran et al., ICCV 2019).",
    ),
    ScoreSpec(
        name="hscore",
        title="H-score",
        fn=hscore,
        needs="features",
        description="H-score with Ledoit-Wolf shrinkage (Bao et al., ICIP 2019; "
        "Ibrahim et al., ECML-PKDD 2022).",
    ),
    ScoreSpec(
        name="knn",
        title="k-NN accuracy",
        fn=knn_accuracy,
        needs="features",
        description="Cross-validated 5-NN accuracy with cosine distance.",
    ),
    ScoreSpec(
        name="linear",
        title="Linear-probe accuracy",
        fn=linear_probe_accuracy,
        needs="features",
        description="Cross-validated accuracy of a logistic regression on standardised features.",
    ),
)
for _spec in _SPECS:
    SCORES.register(_spec.name, needs=_spec.needs)(_spec)


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
