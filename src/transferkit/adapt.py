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

from transferkit.api import FitResult, fit, save_fit
from transferkit.backbones import create_backbone
from transferkit.data import DataConfig, Dataset
from transferkit.data.load import read_dataset, read_unlabelled
from transferkit.errors import DataError
from transferkit.evaluation.domain import proxy_a_distance
from transferkit.features import FeatureCache, embed
from transferkit.models.artifact import check_writable
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile

MAP_POINTS = 600  # per domain, for the embedding map


@dataclass
class AdaptResult:
    fit: FitResult
    target_metrics: dict[str, Any] | None
    gap_before: float
    gap_after: float
    out: Path | None = None

    @property
    def model(self) -> Any:
        return self.fit.model


def adapted_representation(model: Any, features: np.ndarray) -> np.ndarray:
    """What the last linear layer sees: the bottleneck's output when the head has one."""
    head = model.classifier.head
    if not isinstance(head, torch.nn.Sequential) or len(head) < 2:
        return features
    head.eval()
    with torch.inference_mode():
        return head[:-1](torch.from_numpy(features)).numpy()


def _sample(n: int, k: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).permutation(n)[: min(n, k)])


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
    progress: Progress = SILENT,
    **options: Any,
) -> AdaptResult:
    """Adapt a pretrained backbone to ``target`` using labelled ``source`` data.

    Args:
        target_labels: ``True`` to evaluate on the target's own labels (read only after
            training, only for evaluation), or a path to labelled target data.
    """
    out_path = Path(out).expanduser() if out is not None else None
    if out_path is not None:
        check_writable(out_path, overwrite)
    feature_cache = cache if isinstance(cache, FeatureCache) else FeatureCache(enabled=bool(cache))
    result = fit(
        source,
        model,
        method,
        seed=seed,
        cache=feature_cache,
        progress=progress,
        target=target,
        **options,
    )
    trained = result.model
    config = DataConfig.from_dict(
        {k: v for k, v in options.items() if k in DataConfig.field_names()}
    )
    target_metrics = None
    if target_labels:
        labelled = read_dataset(target if target_labels is True else target_labels, config)
        unknown = sorted(set(labelled.labels or []) - set(trained.classes_))
        if unknown:
            raise DataError(
                f"The target has classes the source lacks ({', '.join(unknown)}); domain "
                "adaptation needs the same classes in both domains."
            )
        target_metrics = trained.evaluate(labelled, progress=progress)
    unlabelled = read_unlabelled(target, trained.modality, config)
    src = result.splits.train
    gap_before, gap_after, map_data = _domain_gaps(trained, src, unlabelled, feature_cache, seed)
    result.metrics["adaptation"] = {
        "target": str(target),
        "target_metrics": target_metrics,
        "proxy_a_distance_before": gap_before,
        "proxy_a_distance_after": gap_after,
    }
    adapted = AdaptResult(result, target_metrics, gap_before, gap_after)
    if out_path is not None:
        from transferkit.reporting.adapt_report import adapt_report

        adapted.out = save_fit(result, out_path, overwrite, adapt_report(adapted, *map_data))
        result.out = adapted.out
    return adapted


def _domain_gaps(
    model: Any, source: Dataset, target: Dataset, cache: FeatureCache, seed: int
) -> tuple[float, float, tuple[np.ndarray, list[str], list[str]]]:
    """Proxy A-distance between the domains before (pretrained features) and after
    adaptation (the features the adapted classifier uses), on samples of each."""
    s_idx, t_idx = _sample(len(source), MAP_POINTS, seed), _sample(len(target), MAP_POINTS, seed)
    # Datasets, not raw inputs: images held in memory (digits) are not paths to read.
    s_inputs, t_inputs = source.subset(s_idx), target.subset(t_idx)
    if model.record.get("backbone_frozen"):  # the pretrained backbone, as it was
        original = model.backbone
    else:
        original = create_backbone(model.record["backbone"]["source"])
        profile = device_profile()
        original.to(profile.device).use_channels_last(profile.channels_last)
    before_s, _ = embed(original, s_inputs.inputs, cache=cache)
    before_t, _ = embed(original, t_inputs.inputs, cache=cache)
    after_s = adapted_representation(model, model.embed(s_inputs))
    after_t = adapted_representation(model, model.embed(t_inputs))
    gap_before = proxy_a_distance(before_s, before_t, seed=seed)
    gap_after = proxy_a_distance(after_s, after_t, seed=seed)
    points = np.concatenate([after_s, after_t])
    labels = [source.labels[i] for i in s_idx] + ["target"] * len(t_idx)  # type: ignore[index]
    groups = ["source"] * len(s_idx) + ["target"] * len(t_idx)
    return gap_before, gap_after, (points, labels, groups)
