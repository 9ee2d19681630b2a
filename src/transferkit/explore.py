"""``explore``: a data set through a pretrained model's eyes, before training anything.

Embeds every example with the frozen backbone (through the feature cache) and reports a
2-D map of the embeddings, how well k-means clusters recover the labels (adjusted Rand
index), cross-validated nearest-neighbour accuracy, and, given a second data set, how
separable the two domains are (proxy A-distance: 0 means indistinguishable, 2 means
perfectly separable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.backbones import create_backbone
from transferkit.data import DataConfig, Dataset, load_splits
from transferkit.errors import DataError, IncompatibleError
from transferkit.evaluation.domain import proxy_a_distance
from transferkit.features import FeatureCache, embed
from transferkit.models.artifact import check_writable, write_atomically, write_json
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile
from transferkit.scores import knn_accuracy

MIN_EXAMPLES = 10
DEFAULT_BACKBONES = {"image": "mobilenet_v2", "text": "all-MiniLM-L6-v2"}


@dataclass
class ExploreResult:
    n: int
    classes: list[str]
    method: str  # how the map was made
    points: np.ndarray
    labels: list[str]
    cluster_ari: float
    knn_accuracy: float
    domain_distance: float | None = None
    groups: list[str] | None = None
    out: Path | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "classes": self.classes,
            "map_method": self.method,
            "cluster_ari": self.cluster_ari,
            "knn_accuracy": self.knn_accuracy,
            "proxy_a_distance": self.domain_distance,
            "notes": self.notes,
        }


def all_examples(data: str | Path, config: DataConfig) -> Dataset:
    splits = load_splits(data, config, 0, carve_val=False)
    parts = [d for d in (splits.train, splits.val, splits.test) if d is not None]
    return Dataset(
        [x for d in parts for x in d.inputs],
        [y for d in parts for y in d.labels or []],
        splits.modality,
        [o for d in parts for o in d.origins],
        name=str(data),
    )


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
    from transferkit.reporting.fit_report import pca_2d

    return pca_2d(features), "PCA"


def cluster_agreement(features: np.ndarray, labels: list[str], seed: int) -> float:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    k = len(set(labels))
    clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(features)
    return float(adjusted_rand_score(labels, clusters))


def explore(
    data: str | Path,
    model: str | None = None,
    *,
    second: str | Path | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    seed: int = 0,
    cache: bool | FeatureCache = True,
    progress: Progress = SILENT,
    **data_options: Any,
) -> ExploreResult:
    out_path = Path(out).expanduser() if out is not None else None
    if out_path is not None:
        check_writable(out_path, overwrite)
    config = DataConfig.from_dict(data_options)
    ds = all_examples(data, config)
    if len(ds) < MIN_EXAMPLES:
        raise DataError(
            f"{data} holds {len(ds)} examples, too few to map; explore needs at least "
            f"{MIN_EXAMPLES}."
        )
    model = model or DEFAULT_BACKBONES[ds.modality]
    backbone = create_backbone(model)
    if backbone.modality != ds.modality:
        raise IncompatibleError(
            f"{model} reads {backbone.modality}s but {data} holds {ds.modality}s."
        )
    profile = device_profile()
    backbone.to(profile.device).use_channels_last(profile.channels_last)
    feature_cache = cache if isinstance(cache, FeatureCache) else FeatureCache(enabled=bool(cache))
    feats, _ = embed(backbone, ds.inputs, cache=feature_cache, progress=progress)
    labels = list(ds.labels or [])
    result_feats, groups, distance = feats, None, None
    if second is not None:
        other = all_examples(second, config)
        if other.modality != ds.modality:
            raise IncompatibleError(
                f"{second} holds {other.modality}s but {data} holds {ds.modality}s."
            )
        other_feats, _ = embed(backbone, other.inputs, cache=feature_cache, progress=progress)
        distance = proxy_a_distance(feats, other_feats, seed=seed)
        result_feats = np.concatenate([feats, other_feats])
        groups = [Path(str(data)).name] * len(feats) + [Path(str(second)).name] * len(other_feats)
        labels = labels + list(other.labels or [])
    points, method = map_2d(result_feats, seed)
    result = ExploreResult(
        len(ds),
        sorted(set(ds.labels or [])),
        method,
        points,
        labels,
        cluster_agreement(feats, list(ds.labels or []), seed),
        knn_accuracy(feats, np.unique(ds.labels, return_inverse=True)[1], seed=seed),
        distance,
        groups,
    )
    if out_path is not None:
        result.out = write_atomically(
            out_path, lambda tmp: _write(tmp, result, model, data, second), overwrite
        )
    return result


def _write(directory: Path, result: ExploreResult, model: str, data: Any, second: Any) -> None:
    from transferkit.reporting.explore_report import explore_report

    write_json(directory / "results.json", result.to_dict())
    explore_report(result, model, str(data), None if second is None else str(second)).write(
        directory
    )
