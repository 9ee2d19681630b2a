"""Multinomial logistic regression on fixed features, its strength chosen by
cross-validation, returned as the weights of a linear layer."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

DEFAULT_CS = tuple(float(c) for c in np.logspace(-4, 2, 13))


@dataclass
class LogisticFit:
    weight: np.ndarray  # [n_classes, n_features], applies to raw (unstandardised) features
    bias: np.ndarray  # [n_classes]
    C: float
    cv_log_loss: float | None  # mean held-out log loss at the chosen C, if cross-validated
    folds: int
    oof_proba: np.ndarray | None = None  # [n, n_classes] out-of-fold probabilities at C

    def note(self) -> str:
        if self.folds:
            return (
                f"logistic head: C={self.C:.3g} chosen by {self.folds}-fold cross-validation "
                f"on the training split (held-out log loss {self.cv_log_loss:.3f})"
            )
        return f"logistic head: C={self.C:.3g}"


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    C: float | None = None,
    folds: int = 5,
    seed: int = 0,
    Cs: tuple[float, ...] = DEFAULT_CS,
    max_iter: int = 2000,
) -> LogisticFit:
    """L2-regularised logistic regression on standardised features.

    Features are standardised with the training statistics, then projected onto the span
    of the (centred) training examples: by the representer theorem the L2-regularised
    solution lies in that span, and every cross-validation fold's solution lies in its
    sub-span, so fitting in those ``min(n, d)`` coordinates gives the same weights as in
    all ``d`` dimensions, several times faster when ``d > n`` (1280-d CNN features,
    a few hundred images).

    Args:
        X: ``[n, d]`` features; y: ``[n]`` class indices in ``[0, n_classes)``.
        C: inverse regularisation strength; chosen from ``Cs`` by stratified ``folds``-fold
            cross-validation (held-out log loss) when ``None``.
    """
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X = np.asarray(X, dtype=np.float64)
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd < 1e-8] = 1.0
    Z = (X - mu) / sd
    basis = None
    if Z.shape[1] > Z.shape[0]:
        _, S, Vt = np.linalg.svd(Z, full_matrices=False)
        basis = Vt[S.max() * 1e-10 < S]
        Z = Z @ basis.T
    min_count = int(np.bincount(y, minlength=n_classes)[np.unique(y)].min())
    folds = min(folds, min_count)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on separable folds
        if C is None and folds >= 2:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            model = LogisticRegressionCV(
                Cs=list(Cs), cv=cv, scoring="neg_log_loss", max_iter=max_iter, tol=1e-6
            ).fit(Z, y)
            chosen = float(np.ravel(model.C_)[0])
            scores = np.mean(next(iter(model.scores_.values())), axis=0)
            cv_loss: float | None = float(-scores.max())
            oof = cross_val_predict(
                LogisticRegression(C=chosen, max_iter=max_iter, tol=1e-6),
                Z,
                y,
                cv=cv,
                method="predict_proba",
            )
        else:
            chosen, cv_loss, folds, oof = float(C if C is not None else 1.0), None, 0, None
            model = LogisticRegression(C=chosen, max_iter=max_iter, tol=1e-6).fit(Z, y)
    coef = model.coef_ @ basis if basis is not None else model.coef_
    intercept = model.intercept_
    present = model.classes_
    W = np.zeros((n_classes, X.shape[1]))
    b = np.zeros(n_classes)
    if coef.shape[0] == 1:  # binary: p(present[1]) = sigmoid(w.z + b)
        W[present[1]], b[present[1]] = coef[0], intercept[0]
    else:
        W[present], b[present] = coef, intercept
    b[np.setdiff1d(np.arange(n_classes), present)] = -1e4  # absent in training: never predicted
    weight = W / sd
    bias = b - (W * (mu / sd)).sum(axis=1)
    oof_full = None
    if oof is not None:
        oof_full = np.zeros((len(y), n_classes))
        oof_full[:, model.classes_] = oof
    return LogisticFit(
        weight.astype(np.float32), bias.astype(np.float32), chosen, cv_loss, folds, oof_full
    )
