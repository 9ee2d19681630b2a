"""Calibration: do the predicted probabilities mean what they say?

A classifier is *calibrated* when, among the examples it predicts with confidence ``p``, a
fraction ``p`` is right. This module measures it (expected calibration error, reliability
table) and repairs it with temperature scaling, all following

    Chuan Guo, Geoff Pleiss, Yu Sun, Kilian Q. Weinberger. "On Calibration of Modern Neural
    Networks". ICML 2017.

Shapes: ``n`` examples, ``c`` classes; ``proba`` and ``logits`` are ``[n, c]``, ``labels`` is
``[n]`` of integer class indices in ``[0, c)``.

Errors: an option a user chooses (``bins``) raises :class:`~transferkit.errors.ConfigError`;
arrays of the wrong shape are a bug in the caller and raise a plain :class:`ValueError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from transferkit.errors import ConfigError

__all__ = [
    "TemperatureChoice",
    "choose_temperature",
    "expected_calibration_error",
    "fit_temperature",
    "mean_nll",
    "reliability_table",
]

# Search range of the temperature: a model that needs T outside [1/100, 100] has logits
# that carry (almost) no information or are separable; the bound is then returned.
_LOG_T_BOUND = float(np.log(100.0))
#: the largest temperature a model directory stores (``models.schema.MAX_TEMPERATURE``)
LARGEST_STORED_TEMPERATURE = 1e3
_GRID_POINTS = 41


def _check_proba_labels(
    proba: npt.ArrayLike, labels: npt.ArrayLike, what: str = "proba"
) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array [n, classes], got shape {p.shape}.")
    if y.ndim != 1 or y.shape[0] != p.shape[0]:
        raise ValueError(
            f"labels must be a 1-D array with one entry per row of {what}: "
            f"got shapes {y.shape} and {p.shape}."
        )
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"labels must be integer class indices, got dtype {y.dtype}.")
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or y.max() >= p.shape[1]):
        raise ValueError(
            f"labels must lie in [0, {p.shape[1]}) to index the columns of {what}, "
            f"got values from {y.min()} to {y.max()}."
        )
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{what} contains NaN or infinite values.")
    return p, y


def _check_bins(bins: int) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ConfigError(
            f"The number of calibration bins must be a positive integer, not {bins!r}."
        )
    return int(bins)


def reliability_table(
    proba: npt.ArrayLike, labels: npt.ArrayLike, bins: int = 15
) -> dict[str, Any]:
    """Per-bin confidence, accuracy and count: the data of a reliability diagram.

    The confidence of an example is its largest predicted probability
    ``conf_i = max_k proba[i, k]`` and it is correct when ``argmax_k proba[i, k] == labels[i]``.
    Examples are put in ``bins`` equal-width bins ``B_m = ((m-1)/M, m/M]`` (a confidence of
    exactly 0 goes to the first bin), as in Guo et al. (ICML 2017):

        acc(B_m)  = 1/|B_m| * sum_{i in B_m} 1[pred_i == y_i]
        conf(B_m) = 1/|B_m| * sum_{i in B_m} conf_i
        ECE       = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|

    Args:
        proba: ``[n, c]`` predicted probabilities (rows need not sum exactly to 1).
        labels: ``[n]`` integer class indices.
        bins: number ``M`` of equal-width bins on ``[0, 1]``.

    Returns:
        A dict of numpy arrays of length ``bins`` (``lower``, ``upper``: bin edges;
        ``confidence``, ``accuracy``: means in the bin, NaN for an empty bin; ``count``: int64
        number of examples) plus ``n`` (int) and ``ece`` (float, NaN when ``n == 0``).
    """
    p, y = _check_proba_labels(proba, labels)
    m = _check_bins(bins)
    edges = np.linspace(0.0, 1.0, m + 1)
    n = p.shape[0]
    if n == 0:
        nan = np.full(m, np.nan)
        return _table(edges, nan, nan.copy(), np.zeros(m, dtype=np.int64), 0, float("nan"))
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    # side="left": edges[j-1] < conf <= edges[j]  ->  bin j-1, i.e. half-open (lo, hi].
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, m - 1)
    count = np.bincount(idx, minlength=m).astype(np.int64)
    conf_sum = np.bincount(idx, weights=conf, minlength=m)
    acc_sum = np.bincount(idx, weights=correct, minlength=m)
    filled = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(filled, conf_sum / np.maximum(count, 1), np.nan)
        mean_acc = np.where(filled, acc_sum / np.maximum(count, 1), np.nan)
    # |B_m|/n * |acc - conf| == |acc_sum - conf_sum| / n: no division by the bin count.
    ece = float(np.abs(acc_sum - conf_sum).sum() / n)
    return _table(edges, mean_conf, mean_acc, count, int(n), ece)


def _table(
    edges: np.ndarray, conf: np.ndarray, acc: np.ndarray, count: np.ndarray, n: int, ece: float
) -> dict[str, Any]:
    return {
        "lower": edges[:-1],
        "upper": edges[1:],
        "confidence": conf,
        "accuracy": acc,
        "count": count,
        "n": n,
        "ece": ece,
    }


def expected_calibration_error(
    proba: npt.ArrayLike, labels: npt.ArrayLike, bins: int = 15
) -> float:
    """Expected calibration error (ECE) with equal-width bins on the top-class confidence.

    Guo, Pleiss, Sun, Weinberger, "On Calibration of Modern Neural Networks", ICML 2017
    (following Naeini, Cooper, Hauskrecht, AAAI 2015):

        ECE = sum_{m=1..M} |B_m| / n * |acc(B_m) - conf(B_m)|

    where ``B_m`` holds the examples whose confidence ``max_k proba[i, k]`` lies in
    ``((m-1)/M, m/M]`` (see :func:`reliability_table`). 0 means calibrated; the largest
    possible value is 1. The estimate is biased upward by sampling noise: even a perfectly
    calibrated model scores of the order of ``0.4 * sqrt(M / n)``.

    Args:
        proba: ``[n, c]`` predicted probabilities.
        labels: ``[n]`` integer class indices.
        bins: number ``M`` of bins (15 as in Guo et al.).

    Returns:
        The ECE in ``[0, 1]``; NaN when ``n == 0``.
    """
    return float(reliability_table(proba, labels, bins)["ece"])


def _nll_at(log_t: float, z: np.ndarray, top: np.ndarray, z_true_mean: float) -> float:
    """Mean negative log-likelihood of softmax(z / T) at T = exp(log_t).

    ``z`` is max-shifted (row maximum 0, at column ``top``), so the exponentials are <= 1
    and ``logsumexp = log1p(sum of the others)``, accurate even when they are tiny.
    """
    inv_t = np.exp(-log_t)
    e = np.exp(z * inv_t)
    e[np.arange(z.shape[0]), top] = 0.0
    lse = np.log1p(e.sum(axis=1))
    return float(lse.mean() - z_true_mean * inv_t)


def fit_temperature(logits: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """The temperature ``T > 0`` that minimises the NLL of ``softmax(logits / T)``.

    Temperature scaling (Guo, Pleiss, Sun, Weinberger, ICML 2017): one scalar,
    fitted on held-out (validation) data, divides every logit. It changes no prediction
    (the argmax is unchanged), only the confidence. ``T > 1`` softens over-confident models.

        T* = argmin_T  1/n * sum_i [ logsumexp_k(z_ik / T) - z_{i,y_i} / T ]

    The NLL is convex in ``1/T`` (a log-sum-exp of linear functions minus a linear one), so it
    has a single minimum in ``log T``. It is found by a coarse grid over
    ``T in [s / 100, 100 s]``, where ``s`` is the logits' own scale (the root mean square
    of each row's deviations from its mean), followed by bounded Brent refinement
    (``scipy.optimize.minimize_scalar``) around the best grid point, in float64 with
    max-shifted logits (no overflow). When the minimum lies beyond the range (for instance
    every validation example already correct with a wide margin), a value at the bound
    (about ``s / 100`` or ``100 s``) is returned.

    Args:
        logits: ``[n, c]`` pre-softmax scores on validation data (never the training data).
        labels: ``[n]`` integer class indices.

    Returns:
        ``T``; 1.0 for degenerate input, where the NLL does not depend on ``T``: no examples,
        a single class, or logits that are equal within every row.
    """
    from scipy.optimize import minimize_scalar

    z, y = _check_proba_labels(logits, labels, what="logits")
    n, c = z.shape
    if n == 0 or c < 2:
        return 1.0
    top = z.argmax(axis=1)
    z = z - z[np.arange(n), top][:, None]
    if not np.any(z):  # every row constant: softmax is uniform whatever T
        return 1.0
    z_true_mean = float(z[np.arange(n), y].mean())

    centre = np.log(_logit_scale(z))
    grid = np.linspace(centre - _LOG_T_BOUND, centre + _LOG_T_BOUND, _GRID_POINTS)
    values = np.array([_nll_at(g, z, top, z_true_mean) for g in grid])
    best = int(np.argmin(values))
    lo = grid[max(best - 1, 0)]
    hi = grid[min(best + 1, _GRID_POINTS - 1)]
    res = minimize_scalar(
        _nll_at,
        bounds=(lo, hi),
        args=(z, top, z_true_mean),
        method="bounded",
        options={"xatol": 1e-6},
    )
    log_t = float(res.x) if np.isfinite(res.fun) and res.fun <= values[best] else grid[best]
    return float(np.exp(log_t))


MIN_CALIBRATION_EXAMPLES = 20


@dataclass
class TemperatureChoice:
    """The temperature to store (1.0 unless scaling passed the check), what the fit on
    all the data gave, and why it was kept or not, in one sentence."""

    temperature: float
    fitted: float | None
    reason: str
    nll_before: float | None = None  # cross-fitted held-out NLL at T = 1
    nll_after: float | None = None  # the same with each fold's own fitted temperature

    @property
    def kept(self) -> bool:
        return self.temperature != 1.0


def _nll_rows(z: np.ndarray, y: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    top = z.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return lse - z[np.arange(len(y)), y]


def mean_nll(logits: npt.ArrayLike, labels: npt.ArrayLike, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``softmax(logits / temperature)``."""
    z, y = _check_proba_labels(logits, labels, what="logits")
    return float(np.mean(_nll_rows(z, y, temperature)))


def _logit_scale(z: np.ndarray) -> float:
    """The logits' own scale: the root mean square of each row's deviations from its mean.

    The temperature is searched within a factor of 100 either side of it, so the search
    follows the logits: a linear head on small features (softmax confidences of 0.25 where
    the model is right 99% of the time) needs T near 0.01, logits ten times larger need
    T ten times larger. 1.0 when every row is constant.
    """
    centred = z - z.mean(axis=1, keepdims=True)
    scale = float(np.sqrt(np.mean(centred**2)))
    return scale if scale > 0 and np.isfinite(scale) else 1.0


def _at_bound(t: float, z: np.ndarray) -> bool:
    """Within a factor of 2 of the search bound: the fit was still running towards it."""
    return abs(np.log(t / _logit_scale(z))) >= _LOG_T_BOUND - np.log(2.0)


def choose_temperature(
    logits: npt.ArrayLike, labels: npt.ArrayLike, folds: int = 5, seed: int = 0
) -> TemperatureChoice:
    """Temperature scaling that is never worse than none.

    The temperature is fitted on all of ``logits`` (validation logits, or out-of-fold
    logits on train) and kept only if it lowers the negative log-likelihood of examples it
    was not fitted on: in stratified ``folds``-fold cross-fitting, each fold is scored with
    the temperature fitted on the other folds, and the held-out NLL must fall below the
    NLL at T = 1 by more than twice its standard error (paired over the examples: a gain
    within noise on validation data was seen to turn into a loss on test, SST-2 at 8
    examples per class: 0.665 -> 0.657 on validation, 0.671 -> 0.678 on test). Kept at 1,
    with the reason: fewer than 20 examples; no example
    classified wrong (the NLL then falls as T goes to 0, however often new inputs are
    wrong); a fit that runs to within a factor of 2 of the search bound (data nearly
    separated, or logits that carry nothing); a fit beyond the 1,000 a model directory
    stores; fewer than 2 examples of some class to
    cross-fit with; or no gain in the check.
    """
    z, y = _check_proba_labels(logits, labels, what="logits")
    n, counts = len(y), np.bincount(y)
    k = min(folds, int(counts[counts > 0].min())) if n else 0
    refused = _unusable(z, y, k)
    if refused:
        return TemperatureChoice(1.0, None, refused)
    fitted = fit_temperature(z, y)
    if fitted > LARGEST_STORED_TEMPERATURE and not _at_bound(fitted, z):
        return TemperatureChoice(
            1.0,
            fitted,
            f"the fitted temperature ({fitted:.3g}) flattens the predictions almost to "
            f"uniform, beyond the {LARGEST_STORED_TEMPERATURE:,.0f} a model directory "
            "stores, so T = 1 was kept",
        )
    if _at_bound(fitted, z):
        what = "separated perfectly" if fitted < _logit_scale(z) else "no better than uniform"
        return TemperatureChoice(
            1.0,
            fitted,
            f"the {n} calibration examples are {what}, so the fitted temperature ran to its "
            f"bound ({fitted:.2g}) and T = 1 was kept",
        )
    gains = _nll_rows(z, y, 1.0) - _cross_fitted_nll(z, y, k, seed)
    before, after = mean_nll(z, y), mean_nll(z, y) - float(gains.mean())
    se = float(gains.std(ddof=1)) / np.sqrt(n)
    if gains.mean() > 2 * se:
        reason = f"held-out log-loss {before:.3f} -> {after:.3f} in {k}-fold cross-fitting"
        return TemperatureChoice(fitted, fitted, reason, before, after)
    reason = (
        f"a temperature ({fitted:.2f}) changed held-out log-loss by {-gains.mean():+.3f} "
        f"(standard error {se:.3f}) in {k}-fold cross-fitting, no clear gain, so T = 1 was kept"
    )
    return TemperatureChoice(1.0, fitted, reason, before, after)


def _unusable(z: np.ndarray, y: np.ndarray, folds: int) -> str | None:
    """Why these calibration data cannot choose a temperature, or None."""
    n = len(y)
    if n < MIN_CALIBRATION_EXAMPLES:
        return f"only {n} calibration examples, too few to check a temperature (T = 1 kept)"
    if not np.any(z.argmax(axis=1) != y):
        return (
            f"all {n} calibration examples are classified right, so they cannot say how "
            "often the model is wrong (T = 1 kept)"
        )
    if folds < 2:
        return (
            "a class has one calibration example, too few to cross-fit a temperature (T = 1 kept)"
        )
    return None


def _cross_fitted_nll(z: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each example's NLL under the temperature fitted on the other folds."""
    from sklearn.model_selection import StratifiedKFold

    held_nll = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, held in splitter.split(z, y):
        held_nll[held] = _nll_rows(z[held], y[held], fit_temperature(z[train], y[train]))
    return held_nll
