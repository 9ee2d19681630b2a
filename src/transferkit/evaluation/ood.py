"""Out-of-distribution (OOD) scores: is this input unlike anything the model was trained on?

Every score here follows one convention: **higher means more unusual**. Scores from logits
(:func:`max_softmax_score`, :func:`energy_score`) need only the classifier's outputs; scores
from features (:class:`Mahalanobis`, :class:`KNNDistance`) are fitted on the training
features of the backbone and need nothing else. To turn a score into a yes/no flag, pick
a threshold on *in-distribution validation* scores with :func:`threshold_for` (for instance
the 95th percentile, so that about 5% of ordinary inputs are flagged) and apply :func:`flag`.

Fitted scorers hold only numpy arrays: ``to_arrays()`` returns a ``dict[str, np.ndarray]``
that ``safetensors.numpy.save_file`` can write, and ``from_arrays()`` rebuilds the scorer
(no pickle).

Shapes: ``logits`` is ``[n, c]``; ``features`` is ``[n, d]``; scores are ``[n]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from transferkit.errors import ConfigError, NotFittedError

__all__ = [
    "KNNDistance",
    "Mahalanobis",
    "energy_score",
    "flag",
    "max_softmax_score",
    "threshold_for",
]

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


def _logsumexp_rows(z: np.ndarray) -> np.ndarray:
    """Row-wise log(sum(exp(z))) computed with the max shifted out (no overflow)."""
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


# --------------------------------------------------------------------------- from logits


def max_softmax_score(logits: npt.ArrayLike) -> np.ndarray:
    """Negative maximum softmax probability (MSP).

    Hendrycks & Gimpel, "A Baseline for Detecting Misclassified and Out-of-Distribution
    Examples in Neural Networks", ICLR 2017:

        score_i = -max_k softmax(z_i)_k = -exp(max_k z_ik - logsumexp_k z_ik)

    in ``[-1, -1/c]``; invariant to adding a constant to every logit of a row.

    Args:
        logits: ``[n, c]`` pre-softmax scores.

    Returns:
        ``[n]`` float64 scores, higher = less confident = more unusual.
    """
    z = _as_2d(logits, "logits")
    if z.shape[1] == 0:
        raise ValueError("logits must have at least one class column.")
    if z.shape[0] == 0:
        return np.zeros(0)
    return -np.exp(z.max(axis=1) - _logsumexp_rows(z))


def energy_score(logits: npt.ArrayLike, T: float = 1.0) -> np.ndarray:
    """Free energy of the logits.

    Liu, Wang, Owens, Li, "Energy-based Out-of-distribution Detection", NeurIPS 2020:

        E(x_i; T) = -T * logsumexp_k(z_ik / T)

    In-distribution inputs get large logits and so low (very negative) energy; the energy
    itself is therefore the "higher = more unusual" score. Unlike the MSP it is not
    invariant to adding a constant to every logit (that constant is subtracted).

    Args:
        logits: ``[n, c]`` pre-softmax scores.
        T: temperature, > 0 (the paper uses 1).

    Returns:
        ``[n]`` float64 scores.
    """
    if not np.isfinite(T) or T <= 0:
        raise ConfigError(f"The energy temperature T must be a positive number, not {T!r}.")
    z = _as_2d(logits, "logits")
    if z.shape[1] == 0:
        raise ValueError("logits must have at least one class column.")
    if z.shape[0] == 0:
        return np.zeros(0)
    return -float(T) * _logsumexp_rows(z / float(T))


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


def flag(scores: npt.ArrayLike, threshold: float) -> np.ndarray:
    """Boolean mask of the inputs whose score is above ``threshold`` (``scores > threshold``).

    A NaN score is flagged too: an input the scorer could not judge is not known to be
    ordinary.

    Args:
        scores: ``[m]`` scores (higher = more unusual).
        threshold: from :func:`threshold_for`.

    Returns:
        ``[m]`` bool array, same shape as ``scores``.
    """
    s = np.asarray(scores, dtype=np.float64)
    return (s > threshold) | np.isnan(s)


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


class Mahalanobis(_Fitted):
    """Minimum Mahalanobis distance to the class means, with a shared covariance.

    Lee, Lee, Lee, Shin, "A Simple Unified Framework for Detecting Out-of-Distribution
    Samples and Adversarial Attacks", NeurIPS 2018 (the feature-space score, without input
    pre-processing or layer ensembles). With class means ``mu_c`` and the tied covariance
    of the within-class deviations

        Sigma = 1/n * sum_c sum_{i: y_i = c} (f_i - mu_c)(f_i - mu_c)^T

    the score of a feature vector ``f`` is

        score(f) = min_c sqrt((f - mu_c)^T Sigma^{-1} (f - mu_c))

    (the paper's confidence is minus the squared distance; the ranking is the same).
    ``Sigma`` is estimated with Ledoit-Wolf shrinkage towards a scaled identity
    (Ledoit & Wolf, "A well-conditioned estimator for large-dimensional covariance
    matrices", J. Multivariate Analysis 2004; the same estimate as
    ``sklearn.covariance.LedoitWolf(assume_centered=True)`` on the within-class deviations,
    computed here with one ``d x d`` product instead of three), so it is invertible even
    with fewer examples than dimensions (``n < d``). It is kept as its
    Cholesky factor ``Sigma = L L^T`` and distances are Euclidean after whitening,
    ``||L^{-1} (f - mu_c)||``, in float64 (no explicit inverse of ``Sigma``). A ridge of
    ``1e-10 * trace(Sigma) / d`` (more only if the factorisation still fails) absorbs
    rounding; if the classes have no spread at all (one example each) ``Sigma = I`` and the
    distance is Euclidean.

    Fitted attributes: ``classes_`` ``[k]`` (sorted labels), ``means_`` ``[k, d]``,
    ``cholesky_`` ``[d, d]`` (lower triangular ``L``), ``shrinkage_`` (float), and
    ``covariance_`` ``[d, d]`` (``L L^T``, computed on demand).
    """

    _fit_call = "fit(features, labels)"

    def fit(self, features: npt.ArrayLike, labels: npt.ArrayLike) -> Mahalanobis:
        """Fit class means and the shared shrunk covariance.

        Args:
            features: ``[n, d]`` training features (n >= 1).
            labels: ``[n]`` integer class labels (any integers; need not be 0..k-1).

        Returns:
            ``self``.
        """
        x = _as_2d(features, "features")
        y = np.asarray(labels)
        n, d = x.shape
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(
                f"labels must be 1-D with one entry per feature row: got shapes {y.shape} "
                f"and {x.shape}."
            )
        if n == 0 or d == 0:
            raise ValueError(f"Mahalanobis.fit needs at least one feature row, got {x.shape}.")
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"labels must be integers, got dtype {y.dtype}.")

        classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        means = np.add.reduceat(x[order], starts, axis=0) / counts[:, None]
        centred = x - means[inverse]

        if np.any(centred):
            cov, shrinkage = _ledoit_wolf(centred)
            self.cholesky_ = _cholesky_with_ridge(cov)
            self.shrinkage_ = shrinkage
        else:  # one example per class (or identical ones): no spread to estimate
            self.cholesky_ = np.eye(d)
            self.shrinkage_ = 1.0
        self.classes_ = classes.astype(np.int64)
        self.means_ = np.ascontiguousarray(means)
        self.__dict__.pop("_whitening", None)
        return self

    @property
    def covariance_(self) -> np.ndarray:
        """``[d, d]`` shared (shrunk) covariance ``L L^T`` used for the distances."""
        chol = self.cholesky_
        return chol @ chol.T

    def _whiten(self) -> np.ndarray:
        """``W = L^{-T}``, so that ``||(f - mu) W|| = ||L^{-1} (f - mu)||``; cached."""
        w = self.__dict__.get("_whitening")
        if w is None:
            from scipy.linalg import solve_triangular

            chol = self.cholesky_
            w = solve_triangular(chol, np.eye(chol.shape[0]), lower=True).T
            self.__dict__["_whitening"] = w
        return w

    def score(self, features: npt.ArrayLike) -> np.ndarray:
        """Minimum over classes of the Mahalanobis distance.

        Args:
            features: ``[m, d]`` features to judge.

        Returns:
            ``[m]`` float64 distances (>= 0), higher = more unusual.
        """
        means = self.means_
        x = _as_2d_lazy(features, "features")
        if x.shape[1] != means.shape[1]:
            raise ValueError(
                f"features have {x.shape[1]} dimensions but the scorer was fitted on "
                f"{means.shape[1]}."
            )
        w = self._whiten()
        m, d = x.shape
        k = means.shape[0]
        mw = means @ w
        mw_sq = np.einsum("ij,ij->i", mw, mw)
        out = np.empty(m)
        step = max(1, _CHUNK_ELEMENTS // max(d, k))
        for s in range(0, m, step):
            xw = _rows(x, s, s + step, "features") @ w
            # Expanded squared distances pick the nearest class; the distance to it is then
            # recomputed as a plain sum of squares (no cancellation in the returned value).
            d2 = np.einsum("ij,ij->i", xw, xw)[:, None] + mw_sq[None, :] - 2.0 * (xw @ mw.T)
            nearest = np.argmin(d2, axis=1)
            diff = xw - mw[nearest]
            out[s : s + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as contiguous numpy arrays (for ``safetensors.numpy.save_file``).

        Keys: ``classes`` (int64 ``[k]``), ``means`` ``[k, d]``, ``cholesky`` ``[d, d]``,
        ``shrinkage`` ``[1]`` (float64 but ``classes``).
        """
        return {
            "classes": np.ascontiguousarray(self.classes_, dtype=np.int64),
            "means": np.ascontiguousarray(self.means_, dtype=np.float64),
            "cholesky": np.ascontiguousarray(self.cholesky_, dtype=np.float64),
            "shrinkage": np.array([self.shrinkage_], dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any]) -> Mahalanobis:
        """Rebuild a fitted scorer from :meth:`to_arrays` output; scores are identical."""
        name = cls.__name__
        classes = cls._get(arrays, "classes", name).astype(np.int64)
        means = cls._get(arrays, "means", name).astype(np.float64)
        chol = cls._get(arrays, "cholesky", name).astype(np.float64)
        shrinkage = cls._get(arrays, "shrinkage", name).astype(np.float64).ravel()
        k = classes.shape[0] if classes.ndim == 1 else -1
        d = means.shape[1] if means.ndim == 2 else -1
        if (
            k < 1
            or d < 1
            or means.shape != (k, d)
            or chol.shape != (d, d)
            or shrinkage.shape != (1,)
            or not np.all(np.diag(chol) > 0)
        ):
            raise ValueError(
                f"{name}.from_arrays got inconsistent arrays (classes {classes.shape}, "
                f"means {means.shape}, cholesky {chol.shape}); pass the dict written by "
                f"{name}.to_arrays()."
            )
        obj = cls()
        obj.classes_ = classes
        obj.means_ = np.ascontiguousarray(means)
        obj.cholesky_ = np.ascontiguousarray(chol)
        obj.shrinkage_ = float(shrinkage[0])
        return obj


def _ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf shrunk covariance of rows ``x`` (already centred) and its shrinkage.

    With ``S = X^T X / n``, ``mu = tr(S) / d``:

        delta  = ||S - mu I||_F^2 / d
        beta   = min(delta, (sum_i ||x_i||^4 / n - ||S||_F^2) / (n d))
        rho    = beta / delta,   Sigma = (1 - rho) S + rho mu I

    (``sum_i ||x_i x_i^T - S||_F^2 = sum_i ||x_i||^4 - n ||S||_F^2`` avoids the ``d x d``
    product of squared features that sklearn forms.)
    """
    n, d = x.shape
    emp = x.T @ x / n
    row_sq = np.einsum("ij,ij->i", x, x)
    mu = float(np.trace(emp)) / d
    s_sq = float(np.einsum("ij,ij->", emp, emp))
    delta = (s_sq - 2.0 * mu * float(np.trace(emp)) + d * mu * mu) / d
    beta = (float(np.dot(row_sq, row_sq)) / n - s_sq) / (n * d)
    beta = min(beta, delta)
    shrinkage = 0.0 if beta <= 0 else float(np.clip(beta / delta, 0.0, 1.0))
    cov = (1.0 - shrinkage) * emp
    cov[np.diag_indices(d)] += shrinkage * mu
    return cov, shrinkage


def _cholesky_with_ridge(cov: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``cov + r I`` with the smallest ridge ``r`` (from
    ``1e-10 * trace / d``, times 100 per failure) that makes it positive definite."""
    d = cov.shape[0]
    cov = (cov + cov.T) / 2.0
    scale = float(np.trace(cov)) / d
    if not scale > 0:
        return np.eye(d)
    ridge = 1e-10 * scale
    eye = np.eye(d)
    while True:
        try:
            return np.linalg.cholesky(cov + ridge * eye)
        except np.linalg.LinAlgError:
            if ridge > scale:  # cannot happen for a covariance matrix; stay safe anyway
                return np.sqrt(scale) * eye
            ridge *= 100.0


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
