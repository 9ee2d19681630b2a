"""``explore``: a data set through a pretrained model's eyes, before training anything.

Embeds every example with the frozen backbone (through the feature cache) and reports a
2-D map of the embeddings, how well k-means clusters recover the labels (adjusted Rand
index), cross-validated nearest-neighbour accuracy, and, given a second data set, how
separable the two domains are (proxy A-distance: 0 means indistinguishable, 2 means
perfectly separable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from transferkit.data import DataConfig, Dataset, load_splits
from transferkit.errors import DataError, IncompatibleError
from transferkit.evaluation.domain import proxy_a_distance
from transferkit.evaluation.embedding import cluster_agreement, map_2d
from transferkit.evaluation.studies import ExploreResult
from transferkit.features import FeatureCache, embed
from transferkit.models.artifact import write_atomically, write_json
from transferkit.progress import SILENT, Progress
from transferkit.scores import knn_accuracy
from transferkit.workflows.common import backbone_for, feature_cache, output_path

MIN_EXAMPLES = 10


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
    out_path = output_path(out, overwrite)
    config = DataConfig.from_dict(data_options)
    ds = all_examples(data, config)
    if len(ds) < MIN_EXAMPLES:
        raise DataError(
            f"{data} holds {len(ds)} examples, too few to map; explore needs at least "
            f"{MIN_EXAMPLES}."
        )
    backbone = backbone_for(model, ds.modality, data)
    shared = feature_cache(cache)
    feats, _ = embed(backbone, ds.inputs, cache=shared, progress=progress)
    labels = list(ds.labels or [])
    mapped, groups, distance = feats, None, None
    if second is not None:
        other = all_examples(second, config)
        if other.modality != ds.modality:
            raise IncompatibleError(
                f"{second} holds {other.modality}s but {data} holds {ds.modality}s."
            )
        other_feats, _ = embed(backbone, other.inputs, cache=shared, progress=progress)
        distance = proxy_a_distance(feats, other_feats, seed=seed)
        mapped = np.concatenate([feats, other_feats])
        groups = [Path(str(data)).name] * len(feats) + [Path(str(second)).name] * len(other_feats)
        labels = labels + list(other.labels or [])
    points, method = map_2d(mapped, seed)
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
        name = model or backbone.source
        result.out = write_atomically(
            out_path, lambda tmp: _write(tmp, result, name, data, second), overwrite
        )
    return result


def _write(directory: Path, result: ExploreResult, model: str, data: Any, second: Any) -> None:
    from transferkit.reporting.explore_report import explore_report

    write_json(directory / "results.json", result.to_dict())
    explore_report(result, model, str(data), None if second is None else str(second)).write(
        directory
    )
