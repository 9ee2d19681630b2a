"""``export``: a model directory as one ONNX graph (backbone, head, temperature) with what
its inputs need, for ``exported.reader`` (ONNX Runtime, numpy, Pillow, tokenizers; no
PyTorch) and for any ONNX runtime or server (KServe, Triton, Ray Serve).

The graph takes what the model's preprocessing produces (pixels ``[N, 3, S, S]``, or
``input_ids`` and ``attention_mask`` ``[N, L]``, or feature vectors ``[N, D]``) and gives
the main task's calibrated ``probabilities`` ``[N, classes]``, its ``logits`` (divided by
the temperature) and the ``features`` ``[N, D]`` the unfamiliar-input check reads.
``quantize="int8"`` stores the weights of matrix products as int8 (ONNX Runtime's dynamic
quantisation); its effect on accuracy is the user's to measure (``benchmarks/onnx_export.py``
measures it on ants/bees and SST-2).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.errors import ConfigError, IncompatibleError
from transferkit.exported import reader
from transferkit.models.artifact import model_digest, write_atomically
from transferkit.models.heads import task_slices
from transferkit.workflows.common import output_path
from transferkit.workflows.load import load, refuse_generator

FORMATS = ("onnx",)
QUANTIZATIONS = (None, "int8")
OPSET = 17
#: the graph's input names, by modality (what ``exported.reader`` feeds)
_INPUTS = {"image": ["pixels"], "text": ["input_ids", "attention_mask"], "features": ["vectors"]}


@dataclass
class ExportResult:
    out: Path
    modality: str
    classes: list[str]
    bytes: int  # size of the graph file
    quantize: str | None


class _Whole(nn.Module):
    """Inputs to (probabilities, logits, features) of the main task."""

    def __init__(self, classifier: nn.Module, columns: slice, temperature: float) -> None:
        super().__init__()
        self.classifier = classifier
        self.columns = columns
        self.temperature = temperature

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        batch: Any = (
            {"input_ids": inputs[0], "attention_mask": inputs[1]} if len(inputs) == 2 else inputs[0]
        )
        features = self.classifier.backbone.forward_features(batch)
        logits = self.classifier.head(features)[:, self.columns] / self.temperature
        return logits.softmax(dim=1), logits, features


def export(
    model_dir: str | Path,
    out: str | Path,
    *,
    format: str = "onnx",
    quantize: str | None = None,
    overwrite: bool = False,
) -> ExportResult:
    """Write ``out``: the model of ``model_dir`` as ``model.onnx`` and ``export.json`` (and
    ``tokenizer.json``, ``familiarity.safetensors``), written atomically."""
    if format not in FORMATS:
        raise ConfigError(f"Unknown export format {format!r}; use one of {', '.join(FORMATS)}.")
    if quantize not in QUANTIZATIONS:
        raise ConfigError(f"Unknown quantisation {quantize!r}; use int8 or leave it out.")
    refuse_generator(model_dir, "export")
    out_path = output_path(out, overwrite)
    model = load(model_dir)
    backbone = model.backbone
    if model.modality == "audio":
        raise IncompatibleError(
            f"{model_dir} reads recordings, and an export's reader (numpy and ONNX Runtime, "
            "no PyTorch) does not compute audio front ends yet; serve the model directory "
            "with `transferkit serve` instead."
        )
    if not backbone.exportable:
        raise IncompatibleError(
            f"{backbone.source} runs in ONNX Runtime already, as a graph transferkit cannot "
            "trace into a larger one; export a model trained on a PyTorch backbone."
        )
    if getattr(backbone.preprocessing, "resampler", "pil") != "pil":
        raise IncompatibleError(
            f"{model_dir} was trained by an earlier transferkit that resized images as "
            "tensors, which a reader without PyTorch cannot reproduce exactly; fit it again "
            "to export it."
        )
    backbone.use_channels_last(False)
    task = next(iter(model.tasks_))
    whole = _Whole(
        model.classifier,
        task_slices(model.tasks_)[task],
        model.record.calibration.temperature(task),
    ).eval()

    def fill(tmp: Path) -> None:
        _write_graph(whole, _sample(backbone), tmp / reader.GRAPH_FILE, quantize)
        _write_inputs(model, tmp)
        spec = _spec(model, task, Path(model_dir), quantize)
        (tmp / reader.EXPORT_FILE).write_text(json.dumps(spec, indent=1) + "\n")

    written = write_atomically(out_path, fill, overwrite)
    size = (written / reader.GRAPH_FILE).stat().st_size
    return ExportResult(written, model.modality, model.classes_, size, quantize)


def _sample(backbone: Any) -> tuple[torch.Tensor, ...]:
    """Two examples as the graph's inputs, to trace it."""
    if backbone.modality == "text":
        batch = backbone.collate([backbone.prepare("a short text"), backbone.prepare("another")])
        return batch["input_ids"], batch["attention_mask"]
    if backbone.modality == "features":
        return (torch.zeros(2, backbone.num_features),)
    size = backbone.preprocessing.size
    return (torch.zeros(2, 3, size, size),)


def _write_graph(
    whole: nn.Module, sample: tuple[torch.Tensor, ...], path: Path, quantize: str | None
) -> None:
    modality = whole.classifier.backbone.modality
    names = _INPUTS[modality]
    axes = {0: "batch", 1: "length"} if modality == "text" else {0: "batch"}
    outputs = ["probabilities", "logits", "features"]
    plain = path.with_suffix(".fp32.onnx") if quantize else path
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on constant branches
        try:
            torch.onnx.export(
                whole,
                sample,
                str(plain),
                input_names=names,
                output_names=outputs,
                dynamic_axes={**{n: axes for n in names}, **{o: {0: "batch"} for o in outputs}},
                opset_version=OPSET,
                dynamo=False,
            )
        except Exception as exc:  # the exporter raises many types for an unsupported layer
            raise IncompatibleError(
                f"ONNX cannot express a layer of this model ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]}); keep using it through transferkit."
            ) from None
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(plain), str(path), weight_type=QuantType.QInt8)
        plain.unlink()


def _write_inputs(model: Any, tmp: Path) -> None:
    """What the reader needs beside the graph: the tokenizer, the familiarity bank."""
    if model.modality == "text":
        model.backbone.preprocessing.tokenizer.backend_tokenizer.save(
            str(tmp / reader.TOKENIZER_FILE)
        )
    if model.familiarity is not None:
        from safetensors.numpy import save_file

        save_file(model.familiarity.detector.to_arrays(), str(tmp / reader.FAMILIARITY_FILE))


def _spec(model: Any, task: str, model_dir: Path, quantize: str | None) -> dict[str, Any]:
    record = model.record
    prep = model.backbone.preprocessing
    spec: dict[str, Any] = {
        "format": reader.FORMAT,
        "version": reader.VERSION,
        "modality": model.modality,
        "classes": list(model.tasks_[task]),
        "task": task,
        "backbone": record.backbone.get("source"),
        "strategy": record.strategy.name,
        "temperature": record.calibration.temperature(task),
        "quantize": quantize,
        "opset": OPSET,
        "model_sha256": model_digest(model_dir),
    }
    if model.modality == "image":
        spec["preprocessing"] = prep.to_dict()
    if model.modality == "text":
        tok = prep.tokenizer
        spec["text"] = {
            "max_length": prep.max_length,
            "pad_id": tok.pad_token_id,
            "pad_token": tok.pad_token,
        }
    if model.familiarity is not None:
        spec["familiarity"] = model.familiarity.describe()
    return spec


__all__ = ["ExportResult", "export"]
