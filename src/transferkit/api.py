"""The Python API: ``fit`` and ``load``, thin compositions of the layers below."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transferkit.backbones import create_backbone
from transferkit.data import DataConfig, Splits, load_splits
from transferkit.data.load import carve_validation, read_unlabelled
from transferkit.errors import ConfigError, IncompatibleError
from transferkit.evaluation import SplitPredictions, classification_metrics, predictions_csv
from transferkit.evaluation.forgetting import measure_forgetting
from transferkit.evaluation.judge import judge
from transferkit.features import FeatureCache
from transferkit.models import Classifier, TransferModel, load_model
from transferkit.models.artifact import check_writable, save_model, write_json
from transferkit.models.record import build_record
from transferkit.progress import SILENT, Progress
from transferkit.runtime import device_profile, is_main_process, num_processes, seed_everything
from transferkit.strategies import STRATEGIES, FitContext, Strategy

DEFAULT_BACKBONES = {"image": "mobilenet_v2", "text": "all-MiniLM-L6-v2"}


@dataclass
class FitResult:
    """A trained model, what it measured, and where it was saved."""

    model: TransferModel
    metrics: dict[str, Any]
    splits: Splits
    predictions: list[SplitPredictions]
    out: Path | None = None
    notes: list[str] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)  # held-out features, for reports

    @property
    def held_out(self) -> str:
        """The split whose accuracy is the honest estimate: test if there is one, else
        validation, else the cross-validated estimate on train."""
        return next(k for k in ("test", "val", "cv") if self.metrics.get(k))

    @property
    def accuracy(self) -> float:
        return float(self.metrics[self.held_out]["accuracy"])


def split_options(
    strategy: type[Strategy], options: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort keyword options into data options and strategy options."""
    data_names, strategy_names = set(DataConfig.field_names()), set(strategy.Config.field_names())
    data_opts, strategy_opts = {}, {}
    for key, value in options.items():
        if key in data_names:
            data_opts[key] = value
        elif key in strategy_names:
            strategy_opts[key] = value
        else:
            valid = ", ".join(sorted(data_names | strategy_names))
            raise ConfigError(
                f"{key!r} is neither a data option nor an option of strategy {strategy.name!r}; "
                f"valid options: {valid}."
            )
    return data_opts, strategy_opts


def fit(
    data: str | Path,
    model: str | None = None,
    strategy: str = "linear-probe",
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    seed: int = 0,
    weights: str | Path | None = None,
    cache: bool | FeatureCache = True,
    progress: Progress = SILENT,
    target: str | Path | None = None,
    **options: Any,
) -> FitResult:
    """Adapt a pretrained backbone to a labelled data set and (optionally) save it.

    Args:
        data: a folder of class sub-folders (optionally split into train/val/test), or a
            CSV/TSV/JSONL file (or a folder of train/dev/test tables) of texts.
        model: a backbone name (``transferkit.list_backbones()``) or ``source:name``;
            by default ``mobilenet_v2`` for images and ``all-MiniLM-L6-v2`` for text.
        strategy: how to adapt it (``transferkit.list_strategies()``).
        out: model directory to write; an existing one is replaced only with ``overwrite``.
        seed: fixes splits, sampling, initialisation and data order.
        weights: a local weights file to use instead of the backbone's default weights.
        cache: use the on-disk feature cache (or pass a ``FeatureCache``).
        target: unlabelled data of a target domain, for domain-adaptation strategies
            (``transferkit.adapt`` wraps this); its labels, if any, are never read.
        **options: data options (``DataConfig``) and the strategy's options.
    """
    start = time.perf_counter()
    strategy_cls = STRATEGIES.get(strategy)
    data_opts, strategy_opts = split_options(strategy_cls, options)
    data_config = DataConfig.from_dict(data_opts)
    strat = strategy_cls(strategy_cls.Config.from_dict(strategy_opts))
    out_path = Path(out).expanduser() if out is not None else None
    if out_path is not None:
        check_writable(out_path, overwrite)
    splits = load_splits(data, data_config, seed, carve_val=False)
    strat, choice = strat.resolve(splits)
    if strat.needs_validation() and splits.val is None:
        splits = carve_validation(splits, data_config, seed)
    model = model or DEFAULT_BACKBONES[splits.modality]
    pretrained = strat.uses_pretrained_weights
    backbone = create_backbone(
        model, pretrained=pretrained, weights=weights if pretrained else None
    )
    if backbone.modality != splits.modality:
        raise IncompatibleError(
            f"{model} is a {backbone.modality} model but {data} holds {splits.modality}s; choose a "
            f"{splits.modality} backbone (`transferkit models` lists them)."
        )
    strat.check(backbone, splits)
    target_ds = (
        read_unlabelled(target, splits.modality, data_config) if target is not None else None
    )
    profile = device_profile()
    backbone.to(profile.device).use_channels_last(profile.channels_last)
    seed_everything(seed)
    classifier = Classifier(backbone, len(splits.classes)).to(profile.device)
    feature_cache = cache if isinstance(cache, FeatureCache) else FeatureCache(enabled=bool(cache))
    ctx = FitContext(splits, seed, feature_cache, progress, target=target_ds)
    train_start = time.perf_counter()
    result = strat.fit(classifier, ctx)
    train_seconds = time.perf_counter() - train_start
    if choice:
        result.notes.insert(0, choice)
    classifier.eval()
    record = build_record(
        classes=splits.classes,
        backbone=backbone,
        strategy=strat,
        data_config=data_config,
        data_summary=splits.summary(),
        seed=seed,
        notes=result.notes,
        details=result.details,
    )
    record["strategy"]["asked"] = strategy
    trained = TransferModel(classifier, splits.classes, record)
    trained.cache = feature_cache
    history = result.history.to_dict() if result.history else None
    verdict = judge(trained, splits, ctx.y_train, result.oof_proba, history, progress)
    record["calibration"] = {k: verdict.calibration[k] for k in ("temperature", "fitted_on")}
    record["familiarity"] = verdict.familiarity.describe() if verdict.familiarity else None
    trained.familiarity = verdict.familiarity
    preds = verdict.predictions
    held = [
        (name, ds) for name, ds in (("val", splits.val), ("test", splits.test)) if ds is not None
    ]
    forgetting = None
    if pretrained and not strat.keeps_backbone:
        probe = held[-1][1].inputs if held else splits.train.inputs
        forgetting = measure_forgetting(
            create_backbone(model, weights=weights)
            .to(profile.device)
            .use_channels_last(profile.channels_last),
            backbone,
            probe,
            verdict.held_features.get(held[-1][0]) if held else None,
            feature_cache,
        )
    cv = (
        classification_metrics(ctx.y_train, result.oof_proba, splits.classes)
        if result.oof_proba is not None
        else None
    )
    metrics = {
        **{p.split: p.metrics for p in preds},
        "tasks": task_metrics(trained, held) if len(trained.tasks_) > 1 else None,
        "cv": cv,
        "history": history,
        "calibration": verdict.calibration,
        "familiarity": {**(record["familiarity"] or {}), "flagged": verdict.familiarity_rates},
        "overfitting": verdict.overfitting,
        "forgetting": forgetting,
        "strategy": {
            "name": strat.name,
            "asked": strategy,
            "notes": result.notes,
            **result.details,
        },
        "trainable_parameters": classifier.trainable_parameters()
        if not strat.keeps_backbone
        else sum(p.numel() for p in classifier.head.parameters()),
        "total_parameters": classifier.total_parameters(),
        "embedding": vars(ctx.embed_stats),
        "processes": num_processes(),
        "train_seconds": train_seconds,
        "seconds": time.perf_counter() - start,
    }
    fit_result = FitResult(
        trained, metrics, splits, preds, None, result.notes, verdict.held_features
    )
    if out_path is not None and is_main_process():
        fit_result.out = save_fit(fit_result, out_path, overwrite)
    return fit_result


def save_fit(result: FitResult, out: Path, overwrite: bool = False, report: Any = None) -> Path:
    """Write a fit's model directory: the model, metrics.json, predictions.csv, the
    familiarity check and report.html/report.md (``report``, or the standard fit report)."""

    def extra(tmp: Path) -> None:
        write_json(tmp / "metrics.json", result.metrics)
        if result.model.familiarity is not None:
            result.model.familiarity.save(tmp)
        (tmp / "predictions.csv").write_text(
            predictions_csv(result.predictions, result.model.classes_)
        )
        (report or fit_report_of(result)).write(tmp)

    return save_model(result.model, out, overwrite=overwrite, extra=extra)


def fit_report_of(result: FitResult) -> Any:
    from transferkit.reporting.fit_report import fit_report

    held = result.held_out
    ds = {"val": result.splits.val, "test": result.splits.test}.get(held)
    labels = list(ds.labels or []) if ds is not None else None
    return fit_report(result.metrics, result.model.record, held, result.features.get(held), labels)


def task_metrics(model: TransferModel, held: list[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-task metrics of a multi-task model on each held-out split."""
    out: dict[str, dict[str, Any]] = {t: {} for t in model.tasks_}
    for split, ds in held:
        for task, proba in model.task_probabilities(ds).items():
            y = ds.encode(model.tasks_[task], task)
            out[task][split] = classification_metrics(y, proba, model.tasks_[task])
    return out


def load(directory: str | Path) -> TransferModel:
    """Load a model directory written by ``fit``."""
    model = load_model(directory)
    model.cache = FeatureCache() if model.record.get("backbone_frozen") else None
    return model
