"""The trained model a user holds: predict, predict_proba, embed, evaluate, save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from transferkit.data.dataset import Dataset
from transferkit.data.load import read_dataset, read_inputs
from transferkit.errors import DataError, IncompatibleError, NotFittedError
from transferkit.evaluation.metrics import classification_metrics, softmax
from transferkit.features.cache import FeatureCache
from transferkit.features.extract import embed
from transferkit.models.classifier import Classifier
from transferkit.models.familiarity import Familiarity
from transferkit.progress import SILENT, Progress

Inputs = Dataset | str | Path | list[Any]


class TransferModel:
    """A classifier together with its class names and the record of how it was made.

    ``classes_`` are the label names in the order of ``predict_proba``'s columns;
    ``record`` is what ``config.json`` holds (backbone, preprocessing, strategy and its
    hyper-parameters, data summary, seed, library versions).
    """

    def __init__(self, classifier: Classifier, classes: list[str], record: dict[str, Any]) -> None:
        self.classifier = classifier
        self.classes_ = list(classes)
        self.record = record
        self.cache: FeatureCache | None = None
        self.familiarity: Familiarity | None = None

    @property
    def backbone(self) -> Any:
        return self.classifier.backbone

    @property
    def modality(self) -> str:
        return self.classifier.backbone.modality

    def as_dataset(self, inputs: Inputs, text_column: str | None = None) -> Dataset:
        """Coerce what a user passes (paths, texts, a folder, a table) to a ``Dataset``."""
        if isinstance(inputs, Dataset):
            if inputs.modality != self.modality:
                raise IncompatibleError(
                    f"This model reads {self.modality}s but the data holds {inputs.modality}s."
                )
            return inputs
        if isinstance(inputs, str | Path):
            is_path = Path(inputs).expanduser().exists()
            if self.modality == "text" and isinstance(inputs, str) and not is_path:
                return Dataset([inputs], None, "text", ["input 1"])
            return read_inputs(inputs, self.modality, text_column)  # says if it is missing
        items = list(inputs)
        if self.modality == "image" and items and all(isinstance(x, Image.Image) for x in items):
            return Dataset(items, None, "image", [f"image {i + 1}" for i in range(len(items))])
        if self.modality == "image":
            paths = [Path(p).expanduser() for p in items]
            missing = [p for p in paths if not p.is_file()]
            if missing:
                raise DataError(f"{missing[0]} is not a file; give paths of image files.")
            return Dataset(paths, None, "image", [str(p) for p in paths])
        return Dataset(
            [str(t) for t in items], None, "text", [f"input {i + 1}" for i in range(len(items))]
        )

    def embed(self, inputs: Inputs, progress: Progress = SILENT) -> np.ndarray:
        """Backbone features ``[N, num_features]`` of the inputs."""
        ds = self.as_dataset(inputs)
        use_cache = self.cache if self.record.get("backbone_frozen") else None
        feats, _ = embed(self.backbone, ds.inputs, cache=use_cache, progress=progress)
        return feats

    @property
    def tasks_(self) -> dict[str, list[str]]:
        """Task name -> classes; one task ("label") unless trained with ``multitask``."""
        details = self.record.get("strategy", {}).get("details", {})
        return details.get("tasks") or {"label": self.classes_}

    def _task_slice(self, task: str | None) -> slice:
        tasks = self.tasks_
        name = task if task is not None else next(iter(tasks))
        if name not in tasks:
            raise DataError(f"This model has no task {name!r}; its tasks are {', '.join(tasks)}.")
        start = 0
        for t, classes in tasks.items():
            if t == name:
                return slice(start, start + len(classes))
            start += len(classes)
        raise AssertionError("unreachable")

    def task_probabilities(
        self, inputs: Inputs, progress: Progress = SILENT
    ) -> dict[str, np.ndarray]:
        """Probabilities of every task from one pass over the inputs."""
        logits = self._all_logits(inputs, progress)
        return {t: softmax(logits[:, self._task_slice(t)]) for t in self.tasks_}

    @property
    def temperature(self) -> float:
        """Divides the logits; fitted on validation data so probabilities are calibrated."""
        return float(self.record.get("calibration", {}).get("temperature", 1.0))

    def analyse(self, inputs: Inputs, progress: Progress = SILENT) -> tuple[np.ndarray, np.ndarray]:
        """Features ``[N, d]`` and uncalibrated logits ``[N, all classes]`` in one pass."""
        features = self.embed(inputs, progress)
        return features, self.head_logits(features)

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

    def unfamiliar(self, inputs: Inputs, progress: Progress = SILENT) -> np.ndarray:
        """True for inputs unlike anything the model was trained on (see ``Familiarity``)."""
        if self.familiarity is None:
            raise NotFittedError("This model has no familiarity check; refit it with transferkit.")
        return self.familiarity.flags(self.embed(inputs, progress))

    def decision_function(
        self, inputs: Inputs, progress: Progress = SILENT, task: str | None = None
    ) -> np.ndarray:
        """Logits ``[N, n_classes]`` (of ``task`` for a multi-task model; default: the main
        task)."""
        return self._all_logits(inputs, progress)[:, self._task_slice(task)]

    def _all_logits(self, inputs: Inputs, progress: Progress = SILENT) -> np.ndarray:
        return self.head_logits(self.embed(inputs, progress)) / self.temperature

    def predict_proba(
        self, inputs: Inputs, progress: Progress = SILENT, task: str | None = None
    ) -> np.ndarray:
        """Class probabilities ``[N, n_classes]``, columns in the order of ``classes_`` (or
        of ``tasks_[task]``)."""
        return softmax(self.decision_function(inputs, progress, task))

    def predict(
        self, inputs: Inputs, progress: Progress = SILENT, task: str | None = None
    ) -> list[str]:
        proba = self.predict_proba(inputs, progress, task)
        classes = self.tasks_[task] if task is not None else self.classes_
        return [classes[i] for i in proba.argmax(axis=1)]

    def evaluate(
        self, data: Dataset | str | Path, split: str | None = None, progress: Progress = SILENT
    ) -> dict[str, Any]:
        """Metrics on labelled data (a Dataset, a folder of class folders, a labelled table)."""
        ds = data if isinstance(data, Dataset) else read_dataset(data, split=split)
        y = ds.encode(self.classes_)
        return classification_metrics(y, self.predict_proba(ds, progress), self.classes_)

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        from transferkit.models.artifact import save_model

        return save_model(self, Path(directory), overwrite=overwrite)
