"""Out-of-distribution (OOD) scores from features: is this input unlike anything the model
was trained on? Higher means more unusual.

:class:`KNNDistance` is fitted on the backbone's training features and needs nothing else.
To turn its score into a yes/no flag, pick a threshold on *in-distribution held-out*
scores with :func:`threshold_for` (for instance the 95th percentile, so that about 5% of
ordinary inputs are flagged); ``models.familiarity`` does exactly this.

A fitted scorer holds only numpy arrays: ``to_arrays()`` returns a ``dict[str, np.ndarray]``
that ``safetensors.numpy.save_file`` can write, and ``from_arrays()`` rebuilds it (no
pickle). Scores from logits (max-softmax, energy) and a Mahalanobis scorer were here once
and never used: a two-class softmax is confident about almost anything.

Shapes: ``features`` is ``[n, d]``; scores are ``[n]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from transferkit.errors import ConfigError, NotFittedError

__all__ = ["KNNDistance", "threshold_for"]

# Elements of the largest temporary matrix a scorer builds per chunk of queries
# (4M float32/float64 entries: 16-32 MB, plus an index array of the same shape for kNN).
_CHUNK_ELEMENTS = 1 << 22


def _as_2d(x: npt.ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return a


def _as_2d_lazy(x: npt.ArrayLike, name: str) -> np.ndarray:
    """The array as given (no float64 copy yet: chunks are converted by :func:`_rows`)."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {a.shape}.")
    return a


def _rows(a: np.ndarray, start: int, stop: int, name: str) -> np.ndarray:
    """A float64 copy of rows ``start:stop``, checked to be finite."""
    chunk = np.array(a[start:stop], dtype=np.float64)
    if not np.all(np.isfinite(chunk)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return chunk


# ---------------------------------------------------------------------- threshold helpers


def threshold_for(scores_in: npt.ArrayLike, quantile: float = 0.95) -> float:
    """The score below which a fraction ``quantile`` of in-distribution scores fall.

    Compute it on scores of *held-out in-distribution* data (a validation split, not the
    data a scorer was fitted on: training points look more ordinary than new ones). With
    ``quantile=0.95`` about 5% of new in-distribution inputs are then flagged: 95% are kept,
    the operating point of the "FPR at 95% TPR" figure of the OOD literature (which counts
    in-distribution as the positive class).

    Args:
        scores_in: ``[n]`` scores (any shape; flattened) of in-distribution examples.
        quantile: in ``[0, 1]``.

    Returns:
        The empirical ``quantile`` (linear interpolation, ``numpy.quantile``).
    """
    if not (0.0 <= quantile <= 1.0):
        raise ConfigError(f"The OOD threshold quantile must be between 0 and 1, not {quantile!r}.")
    s = np.asarray(scores_in, dtype=np.float64).ravel()
    if s.size == 0:
        raise ValueError("threshold_for needs at least one in-distribution score.")
    if not np.all(np.isfinite(s)):
        raise ValueError("threshold_for got NaN or infinite in-distribution scores.")
    return float(np.quantile(s, quantile))


# ---------------------------------------------------------------------- from features


class _Fitted:
    """Fitted attributes end with ``_``; asking one before ``fit`` raises NotFittedError."""

    _fit_call = "fit(...)"

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. the attribute was never set.
        if name.endswith("_") and not name.startswith("__"):
            raise NotFittedError(
                f"This {type(self).__name__} scorer is not fitted yet; "
                f"call {self._fit_call} on training features first."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @staticmethod
    def _get(arrays: Mapping[str, Any], key: str, cls_name: str) -> np.ndarray:
        if key not in arrays:
            raise ValueError(
                f"{cls_name}.from_arrays needs the array {key!r}; "
                f"pass the dict written by {cls_name}.to_arrays()."
            )
        return np.asarray(arrays[key])


class KNNDistance(_Fitted):
    """Distance to the k-th nearest training feature, after L2 normalisation.

    Sun, Ming, Zhu, Li, "Out-of-Distribution Detection with Deep Nearest Neighbors",
    ICML 2022. Training and query features are normalised, ``z = f / ||f||_2``, and

        score(f) = || z - z_(k) ||_2

    where ``z_(k)`` is the k-th nearest normalised training feature (nothing is excluded:
    a training point scored against its own bank has distance 0 to itself). Scores lie in
    ``[0, 2]``. Because ``||a - b||^2 = 2 - 2 a.b`` for unit vectors, neighbours are found
    with plain matrix products in float32, a chunk of queries at a time: beyond the bank
    itself (80 MB for 10k x 2k features) a step needs some 50 MB whatever the number of
    queries. The distance to the chosen neighbour is then recomputed directly in float64.

    Choice of ``k``: the paper uses k = 50 for CIFAR-10 (50,000 training images) and
    k = 1000 for ImageNet (1.28M), about one training example in a thousand; the default
    follows that ratio, ``k = max(1, round(n_train / 1000))``.

    Fitted attribute: ``bank_`` ``[n, d]`` float32, the normalised training features
    (an all-zero feature stays zero).
    """

    _fit_call = "fit(features)"

    def fit(self, features: npt.ArrayLike) -> KNNDistance:
        """Store the L2-normalised training features.

        Args:
            features: ``[n, d]`` training (in-distribution) features, n >= 1.

        Returns:
            ``self``.
        """
        x = _as_2d_lazy(features, "features")
        n, d = x.shape
        if n == 0 or d == 0:
            raise ValueError(f"KNNDistance.fit needs at least one feature row, got {x.shape}.")
        bank = np.empty((n, d), dtype=np.float32)
        step = max(1, _CHUNK_ELEMENTS // d)
        for s in range(0, n, step):
            bank[s : s + step] = _normalise(_rows(x, s, s + step, "features"))
        self.bank_ = bank
        return self

    def default_k(self) -> int:
        """``max(1, round(n_train / 1000))``, the ratio of Sun et al. (ICML 2022)."""
        return max(1, round(self.bank_.shape[0] / 1000))

    def score(
        self, features: npt.ArrayLike, k: int | None = None, chunk_size: int | None = None
    ) -> np.ndarray:
        """Distance from each normalised query to its k-th nearest training feature.

        Args:
            features: ``[m, d]`` features to judge.
            k: which neighbour, ``1 <= k <= n_train``; ``None`` for :meth:`default_k`.
            chunk_size: queries per matrix product; ``None`` keeps each ``[chunk, n_train]``
                block near 4M entries.

        Returns:
            ``[m]`` float64 distances in ``[0, 2]``, higher = more unusual.
        """
        bank = self.bank_
        n, d = bank.shape
        if k is None:
            k = self.default_k()
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= n:
            raise ConfigError(
                f"k must be a whole number between 1 and the {n} training features, not {k!r}."
            )
        k = int(k)
        x = _as_2d_lazy(features, "features")
        if x.shape[1] != d:
            raise ValueError(
                f"features have {x.shape[1]} dimensions but the scorer was fitted on {d}."
            )
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
        ):
            raise ValueError(f"chunk_size must be a positive integer, not {chunk_size!r}.")
        step = chunk_size or max(1, _CHUNK_ELEMENTS // max(n, d))
        m = x.shape[0]
        out = np.empty(m)
        for s in range(0, m, step):
            q = _normalise(_rows(x, s, s + step, "features"))
            sims = q.astype(np.float32) @ bank.T  # [b, n] cosine similarities
            # Ascending partition: position n - k holds the k-th largest similarity.
            nearest = np.argpartition(sims, n - k, axis=1)[:, n - k]
            diff = q - bank[nearest].astype(np.float64)
            out[s : s + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state: ``{"bank": [n, d] float32}`` (for ``safetensors``)."""
        return {"bank": np.ascontiguousarray(self.bank_, dtype=np.float32)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any]) -> KNNDistance:
        """Rebuild a fitted scorer from :meth:`to_arrays` output; scores are identical."""
        bank = cls._get(arrays, "bank", cls.__name__)
        if bank.ndim != 2 or bank.shape[0] == 0 or bank.shape[1] == 0:
            raise ValueError(
                f"KNNDistance.from_arrays needs a non-empty 2-D 'bank', got shape {bank.shape}."
            )
        obj = cls()
        obj.bank_ = np.ascontiguousarray(bank, dtype=np.float32)
        return obj


def _normalise(x: np.ndarray) -> np.ndarray:
    """Rows of a float64 array divided by their L2 norm, in place (no overflow: each row is
    first divided by its largest magnitude); zero rows stay zero."""
    scale = np.maximum(x.max(axis=1), -x.min(axis=1))[:, None]
    scale[scale == 0] = 1.0
    x /= scale
    norm = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    norm[norm == 0] = 1.0
    x /= norm
    return x
