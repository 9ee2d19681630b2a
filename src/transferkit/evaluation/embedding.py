"""What an embedding shows without training: a 2-D map of it and how well clusters of it
agree with the labels."""

from __future__ import annotations

import numpy as np


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The first two principal components (a quick, deterministic embedding map)."""
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def map_2d(features: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    """UMAP when installed, else t-SNE (up to 5,000 points), else PCA."""
    try:
        import umap  # type: ignore[import-not-found]

        return umap.UMAP(random_state=seed).fit_transform(features), "UMAP"
    except ImportError:
        pass
    if len(features) <= 5000:
        from sklearn.manifold import TSNE

        perplexity = float(min(30, (len(features) - 1) / 3))
        tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed)
        return tsne.fit_transform(features), "t-SNE"
    return pca_2d(features), "PCA"


def cluster_agreement(features: np.ndarray, labels: list[str], seed: int) -> float:
    """Adjusted Rand index of k-means clusters (k = number of labels) against the labels."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    k = len(set(labels))
    clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(features)
    return float(adjusted_rand_score(labels, clusters))
