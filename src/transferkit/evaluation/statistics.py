"""Honest comparisons: confidence intervals across seeds and over examples.

A single run says little: the same recipe with another seed (data order, initialisation,
augmentation) gives another number. These helpers report the uncertainty:

* :func:`mean_ci` - Student-t interval of a mean over seeds,
* :func:`paired_difference` - interval and p-value of the difference between two recipes
  run with the *same* seeds (pairing removes the seed-to-seed variation they share),
* :func:`bootstrap_ci` - percentile bootstrap over test examples, for any statistic,
* :func:`paired_test_half_width` - what the one shared test split adds to a paired
  difference's interval (the seeds cannot measure it).

Invalid options and too little data raise :class:`~transferkit.errors.ConfigError` with one
sentence. NaN values propagate (a NaN in gives NaN out).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from transferkit.errors import ConfigError

__all__ = [
    "bootstrap_ci",
    "macro_f1_interval",
    "mean_ci",
    "paired_difference",
    "paired_test_half_width",
    "wilson_interval",
]

_TOO_FEW_SEEDS = "A confidence interval needs at least 2 seeds; pass --seeds 2 or more."
_BOOT_CHUNK_ELEMENTS = 1 << 22


def _check_confidence(confidence: float) -> float:
    if not (0.0 < confidence < 1.0):
        raise ConfigError(
            f"The confidence level must be strictly between 0 and 1 (e.g. 0.95), "
            f"not {confidence!r}."
        )
    return float(confidence)


def _as_values(values: Sequence[float] | npt.ArrayLike, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ConfigError(
            f"{name} must be a flat list of numbers, got an array of shape {v.shape}."
        )
    return v


def _t_interval(v: np.ndarray, confidence: float) -> tuple[float, float, float]:
    from scipy import stats

    n = v.shape[0]
    mean = float(v.mean())
    se = float(v.std(ddof=1)) / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1)) * se
    return mean, mean - half, mean + half


def mean_ci(
    values: Sequence[float] | npt.ArrayLike,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval (Student, "The probable error of a mean",
    Biometrika 1908).

    For ``n`` values with mean ``m`` and sample standard deviation ``s`` (``ddof=1``):

        m +/- t_{(1 + confidence) / 2, n - 1} * s / sqrt(n)

    It assumes the values are independent draws (one per seed) from a roughly normal
    distribution; with 3-10 seeds that is the honest default (a normal interval would be
    too narrow).

    Args:
        values: ``[n]`` one number per seed.
        confidence: coverage of the interval, in ``(0, 1)``.
        bounds: ``(lowest, highest)`` the quantity can take (``(0, 1)`` for accuracy);
            the interval is clipped to them, since a t-interval over few seeds can reach
            past them (e.g. an upper end of 1.02 for accuracies near 1).

    Returns:
        ``(mean, low, high)``; with a single value ``(value, nan, nan)`` (no spread is known).
    """
    confidence = _check_confidence(confidence)
    v = _as_values(values, "values")
    if v.shape[0] == 0:
        raise ConfigError("mean_ci needs at least one value.")
    if v.shape[0] == 1:
        return float(v[0]), float("nan"), float("nan")
    mean, low, high = _t_interval(v, confidence)
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return mean, low, high


def paired_difference(
    a: Sequence[float] | npt.ArrayLike,
    b: Sequence[float] | npt.ArrayLike,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Paired t-interval and two-sided p-value for the mean of ``a - b`` over shared seeds.

    ``a[i]`` and ``b[i]`` must come from the same seed ``i``. With ``d_i = a_i - b_i``
    (Student 1908; the paired t-test, as ``scipy.stats.ttest_rel``):

        mean = dbar,  interval = dbar +/- t_{(1 + confidence) / 2, n - 1} * s_d / sqrt(n)
        t = dbar / (s_d / sqrt(n)),  p = 2 * P(T_{n-1} > |t|)

    When every difference is the same, ``s_d = 0``: the interval collapses to the mean and
    the p-value is NaN, since the t statistic is undefined (``scipy.stats.ttest_rel`` also
    gives NaN when all differences are 0, but 0 when they share a non-zero value, which
    overstates the evidence of, say, two seeds whose accuracies both differ by one test
    example). Otherwise the p-value equals ``ttest_rel(a, b).pvalue``.

    Args:
        a: ``[n]`` metric of recipe A, one per seed.
        b: ``[n]`` metric of recipe B, same seeds in the same order.
        confidence: coverage of the interval, in ``(0, 1)``.

    Returns:
        ``{"mean", "low", "high", "n", "p_value"}`` (floats, ``n`` an int).
    """
    from scipy import stats

    confidence = _check_confidence(confidence)
    va = _as_values(a, "a")
    vb = _as_values(b, "b")
    if va.shape[0] != vb.shape[0]:
        raise ConfigError(
            f"A paired comparison needs one value of each recipe per seed, but got "
            f"{va.shape[0]} and {vb.shape[0]} values."
        )
    n = va.shape[0]
    if n < 2:
        raise ConfigError(_TOO_FEW_SEEDS)
    d = va - vb
    mean, low, high = _t_interval(d, confidence)
    se = float(d.std(ddof=1)) / np.sqrt(n)
    p_value = float(2.0 * stats.t.sf(abs(mean) / se, df=n - 1)) if se > 0 else float("nan")
    return {"mean": mean, "low": low, "high": high, "n": int(n), "p_value": p_value}


def bootstrap_ci(
    values_or_pairs: Sequence[Any] | npt.ArrayLike,
    statistic: Callable[[np.ndarray], float],
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Percentile bootstrap confidence interval of a statistic over examples.

    Efron, "Bootstrap Methods: Another Look at the Jackknife", Annals of Statistics 1979;
    the percentile interval of Efron & Tibshirani, "An Introduction to the Bootstrap", 1993.
    The rows (examples) are resampled with replacement ``n_boot`` times; with
    ``theta*_1..B`` the statistic on the resamples and ``alpha = 1 - confidence``:

        interval = (quantile(theta*, alpha / 2), quantile(theta*, 1 - alpha / 2))

    Rows stay together, so pass ``[n, 2]`` pairs such as (correct by model A, correct by
    model B) on the same test examples to get the uncertainty of a difference or of a
    ranking. The uncertainty is over the test examples only (not over seeds); with few
    examples the percentile interval is somewhat too narrow.

    Args:
        values_or_pairs: ``[n]`` values or ``[n, ...]`` rows, one per example.
        statistic: called with an array of the same shape (rows resampled); returns a number.
        n_boot: number of resamples, >= 1.
        seed: seeds the resampling (same seed, same interval).
        confidence: coverage of the interval, in ``(0, 1)``.

    Returns:
        ``(estimate, low, high)`` where ``estimate`` is the statistic on the original data.
    """
    confidence = _check_confidence(confidence)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ConfigError(f"The number of bootstrap resamples must be at least 1, not {n_boot!r}.")
    data = np.asarray(values_or_pairs)
    if data.ndim == 0:
        raise ConfigError("bootstrap_ci needs a list of values or rows, not a single number.")
    n = data.shape[0]
    if n < 2:
        raise ConfigError(f"bootstrap_ci needs at least 2 examples to resample, got {n}.")

    estimate = float(statistic(data))
    rng = np.random.default_rng(seed)
    boot = np.empty(int(n_boot))
    chunk = max(1, _BOOT_CHUNK_ELEMENTS // n)  # bound the [chunk, n] index matrix
    for s in range(0, int(n_boot), chunk):
        rows = min(chunk, int(n_boot) - s)
        idx = rng.integers(0, n, size=(rows, n))
        for j in range(rows):
            boot[s + j] = statistic(data[idx[j]])
    alpha = 1.0 - confidence
    low, high = np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0])
    return estimate, float(low), float(high)


def paired_test_half_width(
    a_correct: Sequence[npt.ArrayLike], b_correct: Sequence[npt.ArrayLike], confidence: float = 0.95
) -> float:
    """Half-width of the normal interval that the test split's sampling error gives the
    difference of two recipes' accuracies, paired by seed and by test example.

    ``a_correct[s]`` and ``b_correct[s]`` say which of the same ``n`` test examples (in the
    same order) seed ``s`` got right. With ``e_i`` the mean over the seeds of
    ``a_correct[s][i] - b_correct[s][i]``:

        half = z * sd(e) / sqrt(n)

    ``0.0`` for a single test example."""
    from scipy import stats

    pairs = zip(a_correct, b_correct, strict=True)
    e = np.mean([np.asarray(a, float) - np.asarray(b, float) for a, b in pairs], axis=0)
    if len(e) < 2:
        return 0.0
    z = float(stats.norm.ppf(0.5 + _check_confidence(confidence) / 2.0))
    return float(z * np.std(e, ddof=1) / np.sqrt(len(e)))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson, "Probable Inference, the Law of
    Succession, and Statistical Inference", JASA 1927): with ``p = successes / n`` and
    ``z`` the normal quantile,

        (p + z^2 / 2n  +/-  z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n)

    Unlike the normal interval it stays inside [0, 1] and does not collapse to a point at
    0 or n successes (153 of 153 right gives [0.976, 1]). ``(nan, nan)`` for ``n == 0``.
    """
    from scipy import stats

    if n == 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf(0.5 + _check_confidence(confidence) / 2.0))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def macro_f1_interval(
    y_true: np.ndarray, y_pred: np.ndarray, classes: int, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval (95%) of macro-F1 over the examples, averaging over the
    classes present in each resample, computed from confusion counts in one pass per
    chunk of resamples."""
    n = len(y_true)
    if n < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    cells = np.asarray(y_true) * classes + np.asarray(y_pred)
    out = np.empty(n_boot)
    chunk = max(1, _BOOT_CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        picked = cells[rng.integers(0, n, size=(rows, n))]
        offsets = (np.arange(rows) * classes * classes)[:, None]
        counts = np.bincount((picked + offsets).ravel(), minlength=rows * classes * classes)
        out[start : start + rows] = _macro_f1(counts.reshape(rows, classes, classes))
    low, high = np.quantile(out, [0.025, 0.975])
    return float(low), float(high)


def _macro_f1(confusion: np.ndarray) -> np.ndarray:
    """Macro-F1 of each ``[classes, classes]`` confusion matrix (rows true), over the
    classes with support."""
    tp = np.diagonal(confusion, axis1=1, axis2=2).astype(np.float64)
    support, predicted = confusion.sum(axis=2), confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
    present = support > 0
    return (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)
