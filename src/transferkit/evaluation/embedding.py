"""What an embedding shows without training: a 2-D map of it, k-means clusters of it (k
given, or chosen by silhouette score) and how well those clusters agree with labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The order ``map_2d`` tries, in words for reports and help text.
MAP_ORDER = "UMAP when umap-learn is installed, else t-SNE up to 5,000 points, else PCA"
#: The largest k the silhouette scan tries: beyond it a 2-D map and a report of examples per
#: cluster stop being readable, and the lab this reproduces looks at a handful of groups.
MAX_SCANNED_K = 10
#: Silhouette scores use at most this many examples (seeded): the score is quadratic in n.
SILHOUETTE_SAMPLE = 3000


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The first two principal components (a quick, deterministic embedding map)."""
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def map_2d(features: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    """UMAP when installed, else t-SNE (up to 5,000 points), else PCA; with the name of the
    method used."""
    try:
        import umap  # type: ignore[import-not-found]

        # n_jobs=1: a seeded UMAP runs on one thread anyway (and warns unless told)
        return umap.UMAP(random_state=seed, n_jobs=1).fit_transform(features), "UMAP"
    except ImportError:
        pass
    if len(features) <= 5000:
        from sklearn.manifold import TSNE

        perplexity = float(min(30, (len(features) - 1) / 3))
        tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed)
        return tsne.fit_transform(features), "t-SNE"
    return pca_2d(features), "PCA"


def kmeans(features: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Seeded k-means cluster ids (0 .. k-1), best of 10 initialisations."""
    from sklearn.cluster import KMeans

    return KMeans(k, n_init=10, random_state=seed).fit_predict(features).astype(np.int64)


def silhouette(features: np.ndarray, clusters: np.ndarray, seed: int) -> float | None:
    """Mean silhouette (Euclidean, the distance k-means minimises) of a clustering, on a
    seeded sample of at most ``SILHOUETTE_SAMPLE`` examples; ``None`` when it is undefined
    (one cluster, or a cluster per example)."""
    from sklearn.metrics import silhouette_score

    found = len(np.unique(clusters))
    if found < 2 or found >= len(features):
        return None
    sample = SILHOUETTE_SAMPLE if len(features) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(features, clusters, sample_size=sample, random_state=seed))


def scanned_ks(n: int) -> list[int]:
    """The k the silhouette scan tries for ``n`` examples: 2 .. min(10, n - 1)."""
    return list(range(2, min(MAX_SCANNED_K, n - 1) + 1))


@dataclass(frozen=True)
class KScan:
    """Silhouette score and k-means clusters for each k tried, in increasing k."""

    scores: dict[int, float]
    clusters: dict[int, np.ndarray]

    def ranked(self) -> list[int]:
        """The k tried, best silhouette first (ties go to the smaller k)."""
        return sorted(self.scores, key=lambda k: (-self.scores[k], k))

    @property
    def best(self) -> int:
        return self.ranked()[0]

    @property
    def runner_up(self) -> int | None:
        ranked = self.ranked()
        return ranked[1] if len(ranked) > 1 else None


def scan_k(features: np.ndarray, seed: int, ks: list[int] | None = None) -> KScan:
    """k-means for every k in ``ks`` (default ``scanned_ks``) and the silhouette of each."""
    ks = scanned_ks(len(features)) if ks is None else ks
    if not ks:
        raise ValueError(f"No k to try for {len(features)} examples; k-means needs at least 3.")
    scores, clusters = {}, {}
    for k in ks:
        clusters[k] = kmeans(features, k, seed)
        score = silhouette(features, clusters[k], seed)
        # k-means can return fewer distinct clusters than asked (duplicate points): such a
        # k has no silhouette and must never win the scan
        scores[k] = -1.0 if score is None else score
    return KScan(scores, clusters)


def adjusted_rand(labels: list[str], clusters: np.ndarray) -> float:
    """Adjusted Rand index of a clustering against labels (0 chance, 1 identical)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(labels, clusters))


def cluster_agreement(features: np.ndarray, labels: list[str], seed: int) -> float:
    """Adjusted Rand index of k-means clusters (k = number of labels) against the labels."""
    return adjusted_rand(labels, kmeans(features, len(set(labels)), seed))


K_SOURCES = {
    "given": "as asked",
    "classes": "the number of classes",
    "silhouette": "the best silhouette score",
}


def k_choice_sentence(
    k: int, source: str, score: float | None, ranking: list[tuple[int, float]] | None = None
) -> str:
    """How many clusters and why, and with ``ranking`` (the scan, best first) what the
    silhouette would choose: "8 clusters (the number of classes), silhouette 0.071; by
    silhouette alone k = 2 (0.094), then k = 3 (0.083)."
    """
    shown = "undefined" if score is None else f"{score:.3f}"
    head = f"{k} clusters ({K_SOURCES.get(source, source)}), silhouette {shown}"
    scan = scan_sentence(source, ranking or [])
    return f"{head}; {scan}." if scan else f"{head}."


def scan_sentence(source: str, ranking: list[tuple[int, float]]) -> str:
    """What the silhouette scan found, as a clause: the runner-up when the scan chose k,
    else its own first and second choice."""
    tried = [f"k = {k} ({s:.3f})" for k, s in ranking[:2]]
    if source == "silhouette":
        return f"runner-up {tried[1]}" if len(tried) > 1 else ""
    if not tried:
        return ""
    return "by silhouette alone " + ", then ".join(tried)
