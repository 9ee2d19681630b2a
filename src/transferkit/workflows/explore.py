"""``explore``: a data set through a pretrained model's eyes, before training anything.

Embeds every example with the frozen backbone (through the feature cache), maps the
embeddings to 2-D and clusters them with k-means: k as given, else the number of classes
when the data has labels (so the adjusted Rand index compares like with like), else the k
in 2..10 with the best silhouette score. Labels are optional: a folder of loose images, a
plain-text file (one text per line) or a text-only table explores as well, and
``labels=False`` (``--no-labels``) leaves any labels unread. With labels it
also reports how well the clusters recover them (adjusted Rand index) and cross-validated
nearest-neighbour accuracy; given a second data set, how separable the two domains are
(proxy A-distance: 0 means indistinguishable, 2 means perfectly separable). Beside the
report, ``clusters.csv`` holds one row per example: where it came from, its text, its
place on the map, its cluster and its label.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.data import DataConfig, Dataset, load_splits
from transferkit.data.load import holds_labels, read_all_inputs
from transferkit.data.memory import InMemory, given_data
from transferkit.errors import ConfigError, DataError, IncompatibleError
from transferkit.evaluation.domain import proxy_a_distance
from transferkit.evaluation.embedding import adjusted_rand, kmeans, map_2d, scan_k, silhouette
from transferkit.evaluation.studies import ExploreResult
from transferkit.features import FeatureCache, embed
from transferkit.models.artifact import write_atomically, write_json
from transferkit.progress import SILENT, Progress
from transferkit.scores import knn_accuracy
from transferkit.workflows.common import (
    accepts_xy,
    backbone_for,
    claims_output,
    feature_cache,
    output_path,
)

MIN_EXAMPLES = 10
#: ``label_column`` taken to mean ``labels=False`` (``--label-column none``, spelled like
#: ``--val-split none``), so it never goes looking for a column named "none".
NO_LABELS = "none"
#: Stands for the label of a second data set's example when that data set has none.
NO_LABEL = "(no label)"
CLUSTERS_FILE = "clusters.csv"


def all_examples(data: str | Path, config: DataConfig) -> Dataset:
    """Every labelled example of every split, pooled."""
    splits = load_splits(data, config, 0, carve_val=False)
    parts = [d for d in (splits.train, splits.val, splits.test) if d is not None]
    return Dataset(
        [x for d in parts for x in d.inputs],
        [y for d in parts for y in d.labels or []],
        splits.modality,
        [o for d in parts for o in d.origins],
        name=str(data) if isinstance(data, InMemory) else Path(str(data)).expanduser().name,
        skipped=splits.skipped,
    )


def read_explored(data: str | Path, config: DataConfig, labels: bool = True) -> Dataset:
    """The examples to explore: with their labels when the data names any and ``labels``
    is true; else the inputs alone."""
    if labels and holds_labels(data, config):
        return all_examples(data, config)
    return read_all_inputs(data, config)


def check_size(ds: Dataset, data: str | Path, clusters: int | None) -> None:
    if len(ds) < MIN_EXAMPLES:
        raise DataError(
            f"{data} holds {len(ds)} examples, too few to map; explore needs at least "
            f"{MIN_EXAMPLES}."
        )
    if clusters is not None and clusters < 2:
        raise ConfigError(f"--clusters {clusters} is not a grouping; give 2 or more.")
    if clusters is not None and clusters >= len(ds):
        raise ConfigError(
            f"--clusters {clusters} asks for as many clusters as {data} has examples "
            f"({len(ds)}) or more; give --clusters below {len(ds)}."
        )


def cluster(
    features: np.ndarray, labels: list[str] | None, k: int | None, seed: int
) -> dict[str, Any]:
    """k-means clusters of ``features``: k as given, else the number of classes, else the
    best silhouette of the scan (which runs every time, so its choice is always shown)."""
    scan = scan_k(features, seed)
    if k is not None:
        source = "given"
    elif labels is not None:
        # the adjusted Rand index penalises a different number of clusters than classes
        # even when every cluster is pure, so with labels k is the number of classes
        k, source = len(set(labels)), "classes"
    else:
        k, source = scan.best, "silhouette"
    ids = scan.clusters[k] if k in scan.clusters else kmeans(features, k, seed)
    return {
        "clusters": ids,
        "k": k,
        "k_source": source,
        "silhouette": silhouette(features, ids, seed),
        "silhouettes": scan.scores,
    }


def measure(ds: Dataset, features: np.ndarray, k: int | None, seed: int) -> ExploreResult:
    """What the features show about ``ds`` alone (the map comes later, with any second set)."""
    labels = None if ds.labels is None else list(ds.labels)
    found = cluster(features, labels, k, seed)
    ari = knn = None
    if labels is not None:
        ari = adjusted_rand(labels, found["clusters"])
        knn = knn_accuracy(features, np.unique(labels, return_inverse=True)[1], seed=seed)
    return ExploreResult(
        len(ds),
        sorted(set(labels or [])),
        "",
        np.zeros((0, 2)),
        labels,
        ari,
        knn,
        origins=list(ds.origins),
        inputs=list(ds.inputs),
        modality=ds.modality,
        name=ds.name,
        skipped=len(ds.skipped),
        notes=_skipped_note(ds),
        **found,
    )


def _skipped_note(ds: Dataset) -> list[str]:
    if not ds.skipped:
        return []
    first = ds.skipped[0]
    more = f" and {len(ds.skipped) - 1} more" if len(ds.skipped) > 1 else ""
    return [f"Left out {len(ds.skipped)} unusable input(s): {first.where} ({first.reason}){more}."]


@accepts_xy()
@claims_output
def explore(
    data: Any,
    model: str | None = None,
    *,
    second: str | Path | None = None,
    clusters: int | None = None,
    labels: bool = True,
    out: str | Path | None = None,
    overwrite: bool = False,
    seed: int = 0,
    cache: bool | FeatureCache = True,
    engine: str = "auto",
    progress: Progress = SILENT,
    **data_options: Any,
) -> ExploreResult:
    data = given_data(data, data_options)
    out_path = output_path(out, overwrite)
    if str(data_options.get("label_column") or "").lower() == NO_LABELS:
        labels, data_options = False, {**data_options, "label_column": None}
    config = DataConfig.from_dict(data_options)
    ds = read_explored(data, config, labels)
    check_size(ds, data, clusters)
    backbone = backbone_for(model, ds.modality, data)
    shared = feature_cache(cache, engine)
    feats, _ = embed(backbone, ds.inputs, cache=shared, progress=progress)
    with progress.status("Clustering"):
        result = measure(ds, feats, clusters, seed)
    mapped = feats
    if second is not None:
        other = read_explored(second, config, labels)
        if other.modality != ds.modality:
            raise IncompatibleError(
                f"{second} holds {other.modality}s but {data} holds {ds.modality}s."
            )
        other_feats, _ = embed(backbone, other.inputs, cache=shared, progress=progress)
        result.domain_distance = proxy_a_distance(feats, other_feats, seed=seed)
        mapped = np.concatenate([feats, other_feats])
        first, then = group_names(data, second, ds.name, other.name)
        result.groups = [first] * len(feats) + [then] * len(other_feats)
        if result.labels is not None:
            result.labels += list(other.labels or [NO_LABEL] * len(other))
    with progress.status("Mapping to 2-D"):
        result.points, result.method = map_2d(mapped, seed)
    if out_path is not None:
        name = model or backbone.source
        result.out = write_atomically(
            out_path, lambda tmp: _write(tmp, result, name, data, second), overwrite
        )
    return result


def group_names(data: Any, second: Any, name: str, other: str) -> tuple[str, str]:
    """The two data sets' names on the map, told apart: photo/dog and sketch/dog, not dog
    twice (the markers and the verdict would merge them)."""
    if name != other:
        return name, other
    paths = [Path(str(p)).expanduser().absolute() for p in (data, second)]
    longer = [f"{p.parent.name}/{p.name}" for p in paths]
    return (longer[0], longer[1]) if longer[0] != longer[1] else (name, f"{other} (second)")


def clusters_csv(result: ExploreResult) -> str:
    """One row per explored example: origin, text (text data only, in full), map
    coordinates, cluster id, and label (labelled data only)."""
    texts = result.modality == "text"
    labels = result.example_labels
    buf = io.StringIO()
    writer = csv.writer(buf)
    header = ["origin", *(["text"] if texts else []), "x", "y", "cluster"]
    writer.writerow(header + (["label"] if labels is not None else []))
    for i in range(result.n):
        x, y = result.points[i]
        row = [result.origins[i], *([result.inputs[i]] if texts else [])]
        row += [repr(float(x)), repr(float(y)), int(result.clusters[i])]
        writer.writerow(row + ([labels[i]] if labels is not None else []))
    return buf.getvalue()


def _write(directory: Path, result: ExploreResult, model: str, data: Any, second: Any) -> None:
    from transferkit.reporting.explore_report import explore_report

    write_json(directory / "results.json", result.to_dict())
    (directory / CLUSTERS_FILE).write_text(clusters_csv(result), encoding="utf-8")
    where = {"data": _full(data), "second": None if second is None else _full(second)}
    explore_report(result, model, where["data"], where["second"]).write(directory)


def _full(path: Any) -> str:
    """The path as the run details show it: absolute, so the report says what was read."""
    return str(Path(str(path)).expanduser().absolute())
