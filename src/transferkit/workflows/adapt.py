"""``adapt``: train on a labelled source domain plus an unlabelled target domain.

A thin composition: ``fit`` with a domain-adaptation method (it reads the target's
inputs, never its labels), then — when target labels are given for evaluation — the
accuracy on the target, and always the domain gap (proxy A-distance between source and
target) in the pretrained model's features and in the adapted model's, with a map of
both domains. The saved model is an ordinary model directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from transferkit.backbones import create_backbone
from transferkit.data import DataConfig, Dataset
from transferkit.data.load import read_dataset, read_unlabelled
from transferkit.errors import DataError
from transferkit.evaluation.domain import proxy_a_distance
from transferkit.evaluation.metrics import classification_metrics
from transferkit.evaluation.results import AdaptMetrics, DomainMap, SplitMetrics
from transferkit.evaluation.statistics import bootstrap_ci
from transferkit.features import FeatureCache, embed
from transferkit.models import TransferModel
from transferkit.progress import SILENT, Progress
from transferkit.workflows.common import claims_output, feature_cache, output_path, placed
from transferkit.workflows.fit import FitResult, fit, fit_report_of, save

MAP_POINTS = 600  # per domain, for the embedding map


@dataclass
class AdaptResult:
    fit: FitResult
    adaptation: AdaptMetrics
    out: Path | None = None

    @property
    def model(self) -> TransferModel:
        return self.fit.model

    @property
    def target_metrics(self) -> SplitMetrics | None:
        return self.adaptation.target_metrics


@claims_output
def adapt(
    source: str | Path,
    target: str | Path,
    model: str | None = None,
    method: str = "dann",
    *,
    target_labels: str | Path | bool = False,
    out: str | Path | None = None,
    overwrite: bool = False,
    seed: int = 0,
    cache: bool | FeatureCache = True,
    engine: str = "auto",
    progress: Progress = SILENT,
    **options: Any,
) -> AdaptResult:
    """Adapt a pretrained backbone to ``target`` using labelled ``source`` data.

    Args:
        target_labels: ``True`` to evaluate on the target's own labels (read only after
            training, only for evaluation), or a path to labelled target data.
    """
    out_path = output_path(out, overwrite)
    shared = feature_cache(cache, engine)
    result = fit(
        source, model, method, seed=seed, cache=shared, progress=progress, target=target, **options
    )
    config = DataConfig.from_dict(
        {k: v for k, v in options.items() if k in DataConfig.field_names()}
    )
    unlabelled = read_unlabelled(target, result.model.modality, config)
    adaptation = domain_gaps(result.model, result.splits.train, unlabelled, shared, seed)
    adaptation.target = str(target)
    if target_labels:
        labelled = read_dataset(target if target_labels is True else target_labels, config)
        unknown = sorted(set(labelled.labels or []) - set(result.model.classes_))
        if unknown:
            raise DataError(
                f"The target has classes the source lacks ({', '.join(unknown)}); domain "
                "adaptation needs the same classes in both domains."
            )
        adaptation.target_metrics = result.model.evaluate(labelled, progress=progress)
        if method != BASELINE:
            baseline = fit(
                source,
                model,
                BASELINE,
                seed=seed,
                cache=shared,
                target=target,
                **_baseline_options(options),
            )
            compare_on_target(adaptation, result.model, baseline.model, labelled, seed)
    result.metrics.adaptation = adaptation
    adapted = AdaptResult(result, adaptation)
    if out_path is not None:
        from transferkit.reporting.adapt_report import adapt_report

        report = adapt_report(fit_report_of(result), result.model.record, adaptation)
        adapted.out = result.out = save(result, out_path, overwrite, report)
    return adapted


BASELINE = "source-only"


def _baseline_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options source-only takes among those the method was given (the data options
    and the shared training schedule)."""
    from transferkit.strategies import STRATEGIES

    accepted = set(DataConfig.field_names()) | set(STRATEGIES.get(BASELINE).Config.field_names())
    return {k: v for k, v in options.items() if k in accepted}


def compare_on_target(
    adaptation: AdaptMetrics,
    adapted: TransferModel,
    baseline: TransferModel,
    labelled: Dataset,
    seed: int,
) -> None:
    """Source-only's target metrics, and the adapted-minus-source-only accuracy with a
    paired bootstrap interval over the same target examples."""
    y = labelled.encode(adapted.classes_)
    ours = adapted.predictions(labelled).proba.argmax(axis=1) == y
    theirs_p = baseline.predictions(labelled)
    adaptation.baseline_metrics = classification_metrics(y, theirs_p.proba, adapted.classes_)
    pairs = np.stack([ours, theirs_p.proba.argmax(axis=1) == y], axis=1).astype(float)
    adaptation.difference = bootstrap_ci(
        pairs, lambda r: float(r[:, 0].mean() - r[:, 1].mean()), n_boot=1000, seed=seed
    )


def _sample(n: int, k: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).permutation(n)[: min(n, k)])


def adapted_representation(model: TransferModel, features: np.ndarray) -> np.ndarray:
    """What the last linear layer sees: the head's own representation of the features."""
    head = model.classifier.head
    head.eval()
    with torch.inference_mode():
        return head.representation(torch.from_numpy(features)).numpy()


def domain_gaps(
    model: TransferModel, source: Dataset, target: Dataset, cache: FeatureCache, seed: int
) -> AdaptMetrics:
    """Proxy A-distance between the domains before (pretrained features) and after
    adaptation (the features the adapted classifier uses), on samples of each."""
    s_idx, t_idx = _sample(len(source), MAP_POINTS, seed), _sample(len(target), MAP_POINTS, seed)
    # Datasets, not raw inputs: images held in memory (digits) are not paths to read.
    s_inputs, t_inputs = source.subset(s_idx), target.subset(t_idx)
    if model.record.backbone_frozen:  # the pretrained backbone, as it was
        original = model.backbone
    else:
        original = placed(create_backbone(model.record.backbone["source"]))
    before_s, _ = embed(original, s_inputs.inputs, cache=cache)
    before_t, _ = embed(original, t_inputs.inputs, cache=cache)
    after_s = adapted_representation(model, model.embed(s_inputs))
    after_t = adapted_representation(model, model.embed(t_inputs))
    points = np.concatenate([after_s, after_t])
    # target points carry no label (theirs are never read): None draws them unlabelled
    labels = [source.labels[i] for i in s_idx] + [None] * len(t_idx)  # type: ignore[index]
    groups = ["source"] * len(s_idx) + ["target"] * len(t_idx)
    return AdaptMetrics(
        target="",
        target_metrics=None,
        gap_before=proxy_a_distance(before_s, before_t, seed=seed),
        gap_after=proxy_a_distance(after_s, after_t, seed=seed),
        map=DomainMap(points, labels, groups),
    )
