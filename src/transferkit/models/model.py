"""The trained model a user holds: predict, predict_proba, embed, evaluate, save.

Every prediction goes through one method, ``predictions``: the command line's ``predict``
and ``evaluate``, ``predict_proba`` and the fit's own held-out predictions all divide the
same head logits by the same recorded temperatures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from transferkit.data.dataset import Dataset
from transferkit.data.load import read_dataset, read_inputs
from transferkit.data.memory import checked, examples
from transferkit.errors import DataError, IncompatibleError, NotFittedError
from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.evaluation.results import SplitMetrics, Subset
from transferkit.features.cache import FeatureCache
from transferkit.features.extract import embed
from transferkit.models import artifact
from transferkit.models.classifier import Classifier
from transferkit.models.familiarity import FILE as FAMILIARITY_FILE
from transferkit.models.familiarity import Familiarity
from transferkit.models.heads import build_head, task_slices
from transferkit.models.record import ModelRecord
from transferkit.progress import SILENT, Progress

Inputs = Dataset | str | Path | list[Any]


@dataclass
class Outputs:
    """One pass of the network over some inputs: backbone features and raw head logits
    (every task's, uncalibrated)."""

    dataset: Dataset
    features: np.ndarray
    logits: np.ndarray


@dataclass
class Predictions:
    """What a model says about some inputs: calibrated probabilities of one task, and
    whether each input is unlike the training data (``None`` without a familiarity check)."""

    origins: list[str]
    classes: list[str]
    proba: np.ndarray
    unfamiliar: np.ndarray | None
    texts: list[str] | None = None  # the inputs themselves, for a text model

    @property
    def labels(self) -> list[str]:
        return [self.classes[i] for i in self.proba.argmax(axis=1)]


class TransferModel:
    """A classifier together with the record of how it was made.

    ``classes_`` are the label names in the order of ``predict_proba``'s columns;
    ``record`` is the ``ModelRecord`` that ``config.json`` holds.
    """

    def __init__(self, classifier: Classifier, record: ModelRecord) -> None:
        self.classifier = classifier
        self.record = record
        self.classes_ = list(record.classes)
        self.cache: FeatureCache | None = None
        self.familiarity: Familiarity | None = None

    @property
    def backbone(self) -> Any:
        return self.classifier.backbone

    @property
    def modality(self) -> str:
        return self.classifier.backbone.modality

    @property
    def tasks_(self) -> dict[str, list[str]]:
        """Task name -> classes; one task ("label") unless trained with several heads."""
        return self.record.tasks

    def as_dataset(self, inputs: Inputs, text_column: str | None = None) -> Dataset:
        """Coerce what a user passes (paths, texts, a folder, a table) to a ``Dataset``."""
        if isinstance(inputs, Dataset):
            if inputs.modality != self.modality:
                raise IncompatibleError(
                    f"This model reads {_plural(self.modality)} but the data holds "
                    f"{_plural(inputs.modality)}."
                )
            return inputs
        if isinstance(inputs, str) and not inputs.strip():
            what = {"text": "text", "audio": "recording's path"}.get(self.modality, "image path")
            raise DataError(f"The input is empty; give a {what}, a file or a folder of them.")
        if isinstance(inputs, str | Path):
            is_path = Path(inputs).expanduser().exists()
            if self.modality == "text" and isinstance(inputs, str) and not is_path:
                return Dataset([inputs], None, "text", ["input 1"])
            return read_inputs(inputs, self.modality, text_column)  # says if it is missing
        return self._in_memory(inputs)

    def _in_memory(self, inputs: Any) -> Dataset:
        """Examples in memory (``data.memory``): texts, image paths, PIL images, arrays."""
        items, modality = examples(inputs, "the input")
        if modality == "text" and self.modality == "text":
            empty = next((i for i, t in enumerate(items) if not t.strip()), None)
            if empty is not None:
                raise DataError(f"Input {empty + 1} is an empty text; give a text to predict.")
        if modality == "text" and self.modality in ("image", "audio"):
            odd = next((x for x in items if not Path(x).expanduser().is_file()), None)
            noun = "image" if self.modality == "image" else "audio"
            if odd is not None:
                raise DataError(f"{odd} is not a file; give paths of {noun} files.")
        if modality != self.modality:
            raise IncompatibleError(
                f"This model reads {_plural(self.modality)} but the input holds "
                f"{_plural(modality)}."
            )
        ds, _ = checked(items, modality, "input", "skip")  # the examples converted above
        if ds.skipped:  # one prediction per input: none may be left out
            raise DataError(f"{ds.skipped[0].where}: {ds.skipped[0].reason}; fix that input.")
        ds.origins = [f"input {i + 1}" for i in range(len(ds))]  # as a user counts them
        return ds

    def embed(self, inputs: Inputs, progress: Progress = SILENT) -> np.ndarray:
        """Backbone features ``[N, num_features]`` of the inputs."""
        ds = self.as_dataset(inputs)
        use_cache = self.cache if self.record.backbone_frozen else None
        feats, _ = embed(self.backbone, ds.inputs, cache=use_cache, progress=progress)
        return feats

    def outputs(self, inputs: Inputs, progress: Progress = SILENT) -> Outputs:
        """Features and raw logits of every task, in one pass over the inputs."""
        ds = self.as_dataset(inputs)
        features = self.embed(ds, progress)
        return Outputs(ds, features, self.head_logits(features))

    @torch.inference_mode()
    def head_logits(self, features: np.ndarray) -> np.ndarray:
        head = self.classifier.head
        was_training = head.training
        head.eval()
        try:
            param = next(head.parameters())
            x = torch.from_numpy(features).to(param.device, param.dtype)
            return head(x).float().cpu().numpy()
        finally:
            head.train(was_training)

    def _task(self, task: str | None) -> str:
        name = task if task is not None else next(iter(self.tasks_))
        if name not in self.tasks_:
            raise DataError(
                f"This model has no task {name!r}; its tasks are {', '.join(self.tasks_)}."
            )
        return name

    def task_logits(self, logits: np.ndarray, task: str | None = None) -> np.ndarray:
        """One task's columns of the raw head logits ``[N, all classes]``."""
        return logits[:, task_slices(self.tasks_)[self._task(task)]]

    def calibrated_logits(self, logits: np.ndarray, task: str | None = None) -> np.ndarray:
        """One task's raw logits divided by its recorded temperature."""
        name = self._task(task)
        return self.task_logits(logits, name) / self.record.calibration.temperature(name)

    def predictions(
        self, inputs: Inputs | Outputs, task: str | None = None, progress: Progress = SILENT
    ) -> Predictions:
        """Calibrated probabilities of ``task`` (default: the main one) and the
        unfamiliar-input flags: the one place a prediction is made."""
        name = self._task(task)  # before the inputs' pass: a wrong name costs nothing
        out = inputs if isinstance(inputs, Outputs) else self.outputs(inputs, progress)
        flags = self.familiarity.flags(out.features) if self.familiarity is not None else None
        proba = softmax(self.calibrated_logits(out.logits, name))
        texts = [str(x) for x in out.dataset.inputs] if self.modality == "text" else None
        return Predictions(list(out.dataset.origins), self.tasks_[name], proba, flags, texts)

    def unfamiliar(self, inputs: Inputs, progress: Progress = SILENT) -> np.ndarray:
        """True for inputs unlike anything the model was trained on (see ``Familiarity``)."""
        if self.familiarity is None:
            raise NotFittedError("This model has no familiarity check; refit it with transferkit.")
        return self.familiarity.flags(self.embed(inputs, progress))

    def decision_function(
        self, inputs: Inputs, progress: Progress = SILENT, task: str | None = None
    ) -> np.ndarray:
        """Calibrated logits ``[N, n_classes]`` of ``task`` (default: the main task)."""
        return self.calibrated_logits(self.outputs(inputs, progress).logits, task)

    def predict_proba(
        self, inputs: Inputs, progress: Progress = SILENT, task: str | None = None
    ) -> np.ndarray:
        """Class probabilities ``[N, n_classes]``, columns in the order of ``classes_`` (or
        of ``tasks_[task]``)."""
        return self.predictions(inputs, task, progress).proba

    def predict(
        self, inputs: Inputs, progress: Progress = SILENT, task: str | None = None
    ) -> list[str]:
        return self.predictions(inputs, task, progress).labels

    def evaluate(
        self, data: Dataset | str | Path, split: str | None = None, progress: Progress = SILENT
    ) -> SplitMetrics:
        """Metrics on labelled data (a Dataset, a folder of class folders, a labelled table)."""
        ds = data if isinstance(data, Dataset) else read_dataset(data, split=split)
        y = ds.encode(self.classes_)
        predictions = self.predictions(ds, progress=progress)
        metrics = classification_metrics(y, predictions.proba, self.classes_)
        return by_familiarity(metrics, y, predictions)

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        return save_model(self, Path(directory), overwrite=overwrite)


def by_familiarity(metrics: SplitMetrics, y: np.ndarray, predictions: Predictions) -> SplitMetrics:
    """The metrics with accuracy on the flagged and on the unflagged inputs apart: the
    point of the check is that labels of unfamiliar inputs are less reliable."""
    if predictions.unfamiliar is None:
        return metrics
    right = predictions.proba.argmax(axis=1) == y
    metrics.by_familiarity = {
        name: Subset(int(mask.sum()), float(right[mask].mean()) if mask.any() else float("nan"))
        for name, mask in (
            ("unfamiliar", predictions.unfamiliar),
            ("familiar", ~predictions.unfamiliar),
        )
    }
    return metrics


def save_model(
    model: TransferModel,
    out: Path,
    overwrite: bool = False,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write a model directory atomically; ``extra(tmp)`` adds files (metrics, reports)."""

    def fill(tmp: Path) -> None:
        artifact.write_model_files(model.classifier, model.backbone, tmp)
        if model.familiarity is not None:
            model.familiarity.save(tmp)
        artifact.write_config(model.record, tmp)
        if extra is not None:
            extra(tmp)

    return artifact.write_atomically(out, fill, overwrite)


Rebuild = Callable[[Classifier, ModelRecord], None]


def load_model(directory: str | Path, rebuild: Rebuild | None = None) -> TransferModel:
    """Rebuild a saved model; its predictions equal those its run reported.

    A model directory is data: its config is checked against the schema, its weight files
    against their recorded digests, the backbone is rebuilt from the directory alone
    (``rebuild_backbone``) and nothing in it is run or downloaded. ``rebuild(classifier,
    record)`` changes the freshly built network to what training made of it (e.g. inserts
    adapters) before the weights are loaded.
    """
    from transferkit.backbones import rebuild_backbone
    from transferkit.backbones.preprocessing import ImagePreprocessing

    directory = Path(directory).expanduser()
    record = artifact.read_record(directory)
    artifact.check_digests(record, directory)
    bb = record.backbone
    backbone = rebuild_backbone(bb["source"], artifact.backbone_files(directory), str(directory))
    if bb["modality"] == "image":
        backbone.preprocessing = ImagePreprocessing.from_dict(bb["preprocessing"])
    classifier = Classifier(backbone, record.classes, build_head(record.head))
    if rebuild is not None:
        rebuild(classifier, record)
    artifact.load_weights(classifier, directory)
    classifier.eval()
    if record.channels_last:
        backbone.use_channels_last(True)
    model = TransferModel(classifier, record)
    if record.familiarity and (directory / FAMILIARITY_FILE).exists():
        model.familiarity = Familiarity.load(directory, record.familiarity)
    return model


def _plural(modality: str) -> str:
    return {"features": "feature vectors"}.get(modality, f"{modality}s")
