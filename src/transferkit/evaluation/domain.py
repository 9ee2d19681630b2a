"""How far apart are two domains, as seen through a representation?"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from transferkit.errors import ConfigError, DataError

__all__ = ["proxy_a_distance"]


def _checked(
    source: npt.ArrayLike, target: npt.ArrayLike, folds: Any
) -> tuple[np.ndarray, np.ndarray, int]:
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise ConfigError(f"proxy_a_distance needs folds of at least 2, not {folds!r}.")
    s = np.asarray(source, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    if s.ndim != 2 or t.ndim != 2 or s.shape[1] != t.shape[1]:
        raise ValueError(
            f"source and target must be 2-D with the same number of features, got shapes "
            f"{s.shape} and {t.shape}."
        )
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(t))):
        raise ValueError("source and target features must not contain NaN or infinite values.")
    if min(s.shape[0], t.shape[0]) < folds:
        raise DataError(
            f"The proxy A-distance with {folds} folds needs at least {folds} examples in each "
            f"domain, got {s.shape[0]} source and {t.shape[0]} target examples."
        )
    return s, t, int(folds)


def proxy_a_distance(
    source: npt.ArrayLike, target: npt.ArrayLike, seed: int = 0, folds: int = 5
) -> float:
    """Proxy A-distance between source and target features.

    Ben-David, Blitzer, Crammer, Pereira, "Analysis of Representations for Domain
    Adaptation", NIPS 2007; used as in Ganin, Ustinova, Ajakan, Germain, Larochelle,
    Laviolette, Marchand, Lempitsky, "Domain-Adversarial Training of Neural Networks",
    JMLR 2016. A linear classifier is trained to tell source (label 0) from target
    (label 1); with its held-out error ``err``

        PAD = 2 * (1 - 2 * err)

    0 means the domains cannot be told apart (err = 1/2), 2 that they are perfectly
    separable (err = 0). The result is clipped to ``[0, 2]`` (a classifier worse than chance
    says no more than chance).

    Procedure: the larger domain is subsampled (seeded) to the size of the smaller, so
    chance is exactly 1/2; ``err`` is the error over all examples of ``folds``-fold
    stratified, shuffled (seeded) cross-validation of ``StandardScaler`` followed by
    ``LogisticRegression`` (L2, C=1), the scaler fitted on each training fold only.

    Args:
        source: ``[n, d]`` features of the source domain.
        target: ``[m, d]`` features of the target domain (same ``d``).
        seed: seeds the subsampling and the fold split.
        folds: number of cross-validation folds, >= 2.

    Returns:
        PAD in ``[0, 2]``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    s, t, folds = _checked(source, target, folds)
    size = min(s.shape[0], t.shape[0])
    rng = np.random.default_rng(seed)
    if s.shape[0] > size:
        s = s[np.sort(rng.choice(s.shape[0], size, replace=False))]
    if t.shape[0] > size:
        t = t[np.sort(rng.choice(t.shape[0], size, replace=False))]
    x = np.concatenate([s, t])
    y = np.concatenate([np.zeros(size, dtype=np.int64), np.ones(size, dtype=np.int64)])

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    pred = cross_val_predict(model, x, y, cv=cv)
    err = float(np.mean(pred != y))
    return float(np.clip(2.0 * (1.0 - 2.0 * err), 0.0, 2.0))
