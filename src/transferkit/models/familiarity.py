"""Is an input like anything the model was trained on?

The distance from an input's features to its k-th nearest training example (cosine
geometry; Sun, Ming, Zhu, Li, "Out-of-Distribution Detection with Deep Nearest
Neighbors", ICML 2022), compared with the distances that in-distribution data showed:
the validation split's distances to the training set, or, without one, each training
example's distance to the others. Inputs beyond the ``quantile`` of those reference
distances are flagged as unfamiliar. A softmax is no guide here: a two-class softmax is
confident about almost anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.errors import ModelDirError
from transferkit.evaluation.ood import KNNDistance, threshold_for

FILE = "familiarity.safetensors"


@dataclass
class Familiarity:
    detector: KNNDistance
    k: int
    threshold: float
    quantile: float
    reference: str

    @classmethod
    def fit(
        cls,
        train: np.ndarray,
        reference: np.ndarray | None = None,
        *,
        k: int = 5,
        quantile: float = 0.98,
    ) -> Familiarity:
        k = max(1, min(k, len(train) - 1))
        detector = KNNDistance().fit(train)
        if reference is not None and len(reference):
            ref_scores, where = detector.score(reference, k=k), "validation split"
        else:  # leave-one-out: each training example's k-th nearest *other* example
            ref_scores, where = detector.score(train, k=k + 1), "training split, leave-one-out"
        return cls(detector, k, threshold_for(ref_scores, quantile), quantile, where)

    def scores(self, features: np.ndarray) -> np.ndarray:
        return self.detector.score(features, k=self.k)

    def flags(self, features: np.ndarray) -> np.ndarray:
        return self.scores(features) > self.threshold

    def describe(self) -> dict[str, Any]:
        return {
            "method": "knn-distance",
            "k": self.k,
            "threshold": self.threshold,
            "quantile": self.quantile,
            "reference": self.reference,
        }

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        save_file(self.detector.to_arrays(), str(directory / FILE))

    @classmethod
    def load(cls, directory: Path, described: dict[str, Any]) -> Familiarity:
        from safetensors.numpy import load_file

        try:
            detector = KNNDistance.from_arrays(load_file(str(directory / FILE)))
        except Exception as exc:  # safetensors raises its own error type for bad bytes
            raise ModelDirError(
                f"{directory / FILE} is damaged ({exc}); re-run the fit, or copy the "
                "directory again."
            ) from None
        return cls(
            detector,
            int(described["k"]),
            float(described["threshold"]),
            float(described["quantile"]),
            str(described["reference"]),
        )
