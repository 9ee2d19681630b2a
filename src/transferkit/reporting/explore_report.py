"""The report of ``explore``: what the pretrained features know, how many clusters they
form, the map coloured by cluster and by label, examples of each cluster, how separable a
second data set is, and the run's details."""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from transferkit.evaluation.embedding import MAP_ORDER, k_choice_sentence
from transferkit.evaluation.statistics import wilson_interval
from transferkit.evaluation.studies import ExploreResult
from transferkit.reporting import plots
from transferkit.reporting.canvas import CSS_DPI, DPI
from transferkit.reporting.report import Report
from transferkit.reporting.sections import Clip, Figure, Section, Table

#: Two maps side by side in the page's 1,040 CSS pixels of content (gap included).
MAP_WIDTH = 500
TEXTS_PER_CLUSTER = 3
TEXT_WIDTH = 140  # characters of a text shown in the table (the CSV holds it in full)
IMAGES_PER_CLUSTER = 8
CLIPS_PER_CLUSTER, CLIP_SECONDS = 3, 3.0
THUMB = 96  # pixels; shown at 64 CSS pixels, the 1.5x density of the other figures
THUMBS_PER_ROW = 4
GAP = 6
#: Proxy A-distance above this: a classifier tells the domains apart almost every time.
DISJOINT = 1.5
SIMILAR = 0.5
#: Silhouettes below this: overlapping clusters (a common rule of thumb puts "no
#: substantial structure" at 0.25; sentence embeddings of one topic rarely reach it, so the
#: report warns only well below it).
WEAK_SILHOUETTE = 0.05
CLOSE_SILHOUETTE = 0.01


def explore_report(result: ExploreResult, model: str, data: str, second: str | None) -> Report:
    noun = {"text": "texts", "audio": "recordings"}.get(result.modality, "images")
    labels = f"{len(result.classes)} classes" if result.labelled else "no labels"
    report = Report(
        f"{result.name or Path(data).name} through the eyes of {model}",
        f"{result.n} {noun}, {labels}, {result.k} k-means clusters, map by {result.method}",
    )
    report.add(_knowledge(result))
    report.add(_choice(result))
    report.add(_maps(result))
    report.add(_examples(result))
    if result.domain_distance is not None:
        report.add(_domains(result, data, second or ""))
    report.add(_details(result, model, data, second))
    return report


def _knowledge(result: ExploreResult) -> Section:
    title = "What the pretrained features already know"
    silhouette = ["silhouette of the k-means clusters (-1 to 1)", result.silhouette]
    if not result.labelled or result.knn_accuracy is None:
        return Section(
            title,
            table=Table(["measure", "value"], [["examples", result.n], silhouette]),
            verdict="No labels, so no nearest-neighbour accuracy or adjusted Rand index: the "
            f"{result.k} clusters below are what the features group together by themselves.",
            text="To measure how well the features separate classes, give labelled data "
            "(class folders, or a table with a label column).",
        )
    rows: list[list[Any]] = [
        ["nearest-neighbour accuracy (5-NN, cross-validated)", result.knn_accuracy],
        [
            f"{result.k} k-means clusters against the {len(result.classes)} classes "
            "(adjusted Rand index, 0 chance, 1 identical)",
            result.cluster_ari,
        ],
        silhouette,
    ]
    labels = list(result.labels or [])[: result.n]  # the explored data's, not --second's
    top, count = Counter(labels).most_common(1)[0]
    majority = count / len(labels)
    low, _ = wilson_interval(round(result.knn_accuracy * result.n), result.n)
    rows.insert(1, [f"always predicting {top!r}", majority])
    above = low > majority
    return Section(
        title,
        table=Table(["measure", "value"], rows),
        verdict=f"Nearest neighbours in the pretrained feature space get "
        f"{result.knn_accuracy:.1%} of labels right before any training, "
        f"{'above' if above else 'not clearly above'} always predicting {top!r} "
        f"({majority:.1%}).",
        level="good" if above else "warn",
        text="High neighbour accuracy and cluster agreement mean a linear probe will likely "
        "do well; low values suggest fine-tuning, or another backbone (see `transferkit rank`).",
    )


def _choice(result: ExploreResult) -> Section:
    ranking = result.scan_ranking()
    best = ranking[0][0] if ranking else None
    runner = ranking[1][0] if len(ranking) > 1 else None
    rows: list[list[Any]] = []
    for k, score in result.silhouettes.items():
        marks = ["used"] if k == result.k else []
        marks += ["best silhouette"] if k == best else ["runner-up"] if k == runner else []
        rows.append([k, score, ", ".join(marks)])
    why = {
        "classes": "With labels, k is the number of classes, so the adjusted Rand index "
        "compares like with like (it marks down a split class even when every cluster is "
        "pure); the silhouette's own choice is shown beside it. ",
        "given": "k was given (--clusters). ",
        "silhouette": "Without labels or --clusters, k is the one with the best silhouette. ",
    }[result.k_source]
    return Section(
        "How many clusters",
        verdict=k_choice_sentence(result.k, result.k_source, result.silhouette, ranking),
        text=why
        + _weak(ranking)
        + "The silhouette compares each example's distance to its own cluster with "
        "its distance to the nearest other cluster: near 0 the clusters overlap, above 0.5 "
        "they are well apart. Sizes of the clusters: "
        + ", ".join(f"{c}: {s}" for c, s in enumerate(result.cluster_sizes()))
        + ".",
        table=Table(["k", "silhouette", "note"], rows, caption="k-means for each k scanned."),
    )


def _weak(ranking: list[tuple[int, float]]) -> str:
    """A warning when the scan's choice means little: clusters that barely separate, or a
    runner-up that scores about the same."""
    if not ranking:
        return ""
    best, score = ranking[0]
    if score < WEAK_SILHOUETTE:
        return (
            f"Even the best silhouette ({score:.3f}, k = {best}) is low: the features form "
            "no clearly separate groups, so read the clusters as a partition, not as found "
            "categories. "
        )
    if len(ranking) > 1 and score - ranking[1][1] < CLOSE_SILHOUETTE:
        return (
            f"k = {best} and k = {ranking[1][0]} score within {CLOSE_SILHOUETTE} of each "
            "other, so the scan's choice between them is a weak one. "
        )
    return ""


def _narrow(figure: Figure, caption: str | None = None) -> Figure:
    width = min(figure.width or MAP_WIDTH, MAP_WIDTH)
    return dataclasses.replace(figure, width=width, caption=caption or figure.caption)


def _maps(result: ExploreResult) -> Section:
    names: list[str | None] = [f"cluster {int(c)}" for c in result.clusters]
    if result.groups is not None:  # only the explored data is clustered: the second has none
        names += [None] * (len(result.points) - result.n)
    title = f"Embedding map ({result.method}), coloured by k-means cluster"
    by_cluster = plots.embedding_map(
        result.points, names, title, groups=result.groups, colour_by="cluster"
    )
    caption = f"{title}: {len(result.points)} examples, k = {result.k}."
    figures = [_narrow(by_cluster, caption)]
    if result.labels is not None:
        title = f"Embedding map ({result.method}), coloured by label"
        figures.append(
            _narrow(plots.embedding_map(result.points, result.labels, title, groups=result.groups))
        )
    text = (
        f"Each point is one example, placed by {result.method} ({MAP_ORDER}); nearby points "
        "have similar embeddings. The clusters are k-means on the full embeddings, not on the "
        "map, so a cluster can look scattered on it."
    )
    if result.groups is not None:
        text += " Marker shapes are the two data sets."
    return Section("Embedding map", text=text, figures=figures)


def _clipped(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= TEXT_WIDTH else flat[: TEXT_WIDTH - 1] + "…"


def _members(result: ExploreResult) -> list[list[int]]:
    """The indices of each cluster's examples, in the data's order."""
    members: list[list[int]] = [[] for _ in range(result.k)]
    for i, c in enumerate(result.clusters):
        members[int(c)].append(i)
    return members


def _examples(result: ExploreResult) -> Section:
    title = "Examples of each cluster"
    members = _members(result)
    if result.modality == "audio":
        clips = [
            _clip(result.inputs[i], f"cluster {c}: {result.origins[i]}")
            for c, idx in enumerate(members)
            for i in idx[:CLIPS_PER_CLUSTER]
        ]
        return Section(
            title,
            text=f"The first {CLIPS_PER_CLUSTER} recordings of each cluster, to listen to "
            f"(the first {CLIP_SECONDS:.0f} s of each, at 16 kHz).",
            clips=clips,
        )
    if result.modality != "text":
        figures = [
            _montage(
                [result.inputs[i] for i in idx[:IMAGES_PER_CLUSTER]],
                f"Cluster {c} ({len(idx)} images): the first {min(len(idx), IMAGES_PER_CLUSTER)}.",
            )
            for c, idx in enumerate(members)
            if idx
        ]
        return Section(title, text="The first images of each cluster.", figures=figures)
    labels = result.example_labels
    header = ["cluster", "size", "origin", "text", *(["label"] if labels is not None else [])]
    rows = []
    for c, idx in enumerate(members):
        for i in idx[:TEXTS_PER_CLUSTER]:
            row = [c, len(idx), result.origins[i], _clipped(result.inputs[i])]
            rows.append(row + ([labels[i]] if labels is not None else []))
    return Section(
        title,
        text=f"The first {TEXTS_PER_CLUSTER} texts of each cluster, cut to {TEXT_WIDTH} "
        "characters; clusters.csv beside this report holds every text with its cluster.",
        table=Table(header, rows),
    )


def _thumbnail(item: Any) -> Image.Image:
    try:
        if isinstance(item, Image.Image):
            image = item.convert("RGB")
        else:
            with Image.open(item) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError):
        return Image.new("RGB", (THUMB, THUMB), "#d5dbe1")  # unreadable: a grey tile
    return ImageOps.pad(image, (THUMB, THUMB), color="white")


def _clip(item: Any, caption: str) -> Clip:
    """A recording as 16-bit WAV bytes; one that cannot be decoded is a second of silence."""
    import numpy as np
    import soundfile as sf

    from transferkit.backbones.audio_frontend import load_audio
    from transferkit.errors import DataError

    try:
        samples = load_audio(item, 16000, CLIP_SECONDS)
    except DataError:
        samples = np.zeros(16000, dtype=np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples, -1, 1), 16000, format="WAV", subtype="PCM_16")
    return Clip(buffer.getvalue(), caption)


def _montage(items: list[Any], caption: str) -> Figure:
    """Thumbnails in rows of ``THUMBS_PER_ROW`` on white, as a report figure."""
    cols = min(len(items), THUMBS_PER_ROW)
    rows = -(-len(items) // THUMBS_PER_ROW)
    size = (cols * (THUMB + GAP) + GAP, rows * (THUMB + GAP) + GAP)
    sheet = Image.new("RGB", size, "white")
    for n, item in enumerate(items):
        row, col = divmod(n, THUMBS_PER_ROW)
        sheet.paste(_thumbnail(item), (GAP + col * (THUMB + GAP), GAP + row * (THUMB + GAP)))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    alt = f"{len(items)} thumbnails. {caption}"
    return Figure(buffer.getvalue(), caption, alt, width=round(size[0] * CSS_DPI / DPI))


def _domains(result: ExploreResult, data: str, second: str) -> Section:
    distance = result.domain_distance or 0.0
    groups = result.groups or [Path(data).name, Path(second).name]
    first, other = groups[0], groups[-1]
    if distance > DISJOINT:
        verdict = (
            f"{first} and {other} are near-disjoint in the pretrained feature space (proxy "
            f"A-distance {distance:.2f} of 2): a model trained on one will likely do poorly on "
            "the other; see `transferkit adapt`."
        )
        level = "warn"
    elif distance < SIMILAR:
        verdict = f"{first} and {other} are hard to tell apart (proxy A-distance {distance:.2f})."
        level = "good"
    else:
        verdict = (
            f"{first} and {other} are distinguishable but overlap (proxy A-distance "
            f"{distance:.2f} of 2): expect some loss moving a model from one to the other."
        )
        level = "info"
    return Section(
        "How separable the two data sets are",
        verdict=verdict,
        level=level,
        text="The proxy A-distance is 2(1 - 2e), e the cross-validated error of a linear "
        "classifier telling the two data sets apart from their features: 0 means "
        "indistinguishable, 2 perfectly separable.",
    )


def _details(result: ExploreResult, model: str, data: str, second: str | None) -> Section:
    rows: list[list[Any]] = [["data", data]]
    if second is not None:
        rows.append(["second data set", second])
    rows += [
        ["model", model],
        ["examples", f"{result.n} ({result.skipped} left out as unusable)"],
        ["labels", _classes(result.classes) if result.labelled else "none"],
        ["map", f"{result.method} ({MAP_ORDER})"],
        ["clusters", k_choice_sentence(result.k, result.k_source, result.silhouette)],
        ["per-example results", f"clusters.csv ({', '.join(_csv_columns(result))})"],
    ]
    notes = " ".join(result.notes)
    return Section("Run details", table=Table(["detail", "value"], rows), text=notes)


def _classes(classes: list[str], shown: int = 20) -> str:
    more = f" and {len(classes) - shown} more" if len(classes) > shown else ""
    return ", ".join(classes[:shown]) + more


def _csv_columns(result: ExploreResult) -> list[str]:
    text = ["text"] if result.modality == "text" else []
    return ["origin", *text, "x", "y", "cluster", *(["label"] if result.labelled else [])]
