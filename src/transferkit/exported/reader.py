"""Predict with an exported model: ``load(DIR).predict(inputs)``, with ONNX Runtime, numpy,
Pillow and tokenizers only, so it runs where PyTorch is not installed.

An export directory holds ``model.onnx`` (backbone, head and temperature as one graph:
inputs in, calibrated probabilities and the features out), ``export.json`` (classes,
what the inputs need, where the model came from), ``tokenizer.json`` for a text model and
``familiarity.safetensors`` for the unfamiliar-input check. Images are decoded, resized
and cropped by Pillow exactly as ``transferkit`` evaluates them, so the probabilities
equal PyTorch's up to float rounding. Loading reads data only: a JSON file, a graph,
arrays; nothing in the directory is run as Python.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.errors import DataError, ModelDirError

EXPORT_FILE = "export.json"
GRAPH_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
FAMILIARITY_FILE = "familiarity.safetensors"
FORMAT = "transferkit-onnx"
VERSION = 1
_RESAMPLE = {"bilinear": 2, "bicubic": 3, "nearest": 0}  # Pillow's resampling filters


def is_export(directory: str | Path) -> bool:
    """Whether ``directory`` looks like an export (it has ``export.json``)."""
    return (Path(directory) / EXPORT_FILE).is_file()


def load(directory: str | Path) -> ExportedModel:
    """The exported model in ``directory``; one sentence if it is not one."""
    return ExportedModel(Path(directory))


class ExportedModel:
    """``predict``, ``predict_proba`` and ``unfamiliar`` as ``TransferModel`` has them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.spec = _read_spec(directory)
        self.classes_: list[str] = list(self.spec["classes"])
        self.modality: str = self.spec["modality"]
        self.session = _session(directory / GRAPH_FILE)
        self.tokenizer = _tokenizer(directory, self.spec) if self.modality == "text" else None
        self.familiarity = _familiarity(directory, self.spec)

    def outputs(self, inputs: Any, batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities ``[N, classes]`` and features ``[N, D]`` of the inputs."""
        items = self._items(inputs)
        probs, feats = [], []
        for start in range(0, len(items), batch_size):
            feed = self._feed(items[start : start + batch_size])
            p, f = self.session.run(["probabilities", "features"], feed)
            probs.append(p)
            feats.append(f)
        return np.concatenate(probs), np.concatenate(feats)

    def predict_proba(self, inputs: Any, batch_size: int = 32) -> np.ndarray:
        return self.outputs(inputs, batch_size)[0]

    def predict(self, inputs: Any, batch_size: int = 32) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(inputs, batch_size).argmax(axis=1)]

    def predictions(self, inputs: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and unfamiliar-input flags (``None`` without the check), from
        one pass of the graph."""
        proba, features = self.outputs(inputs)
        if self.familiarity is None:
            return proba, None
        detector, k, threshold = self.familiarity
        return proba, detector.score(features, k=k) > threshold

    def unfamiliar(self, inputs: Any) -> np.ndarray:
        """True for inputs unlike anything the model was trained on."""
        flags = self.predictions(inputs)[1]
        if flags is None:
            raise ModelDirError(f"{self.directory} was exported without a familiarity check.")
        return flags

    # -- inputs ------------------------------------------------------------------------
    def _items(self, inputs: Any) -> list[Any]:
        if isinstance(inputs, str | Path) or (
            isinstance(inputs, np.ndarray) and inputs.ndim in (1, 3) and self.modality != "text"
        ):
            inputs = [inputs]
        items = list(inputs)
        if not items:
            raise DataError("No inputs were given; give at least one to predict.")
        return items

    def _feed(self, items: list[Any]) -> dict[str, np.ndarray]:
        if self.modality == "text":
            return self._tokens(items)
        if self.modality == "features":
            return {"vectors": np.asarray(items, dtype=np.float32)}
        return {"pixels": np.stack([self._pixels(x) for x in items])}

    def _tokens(self, texts: list[Any]) -> dict[str, np.ndarray]:
        for i, t in enumerate(texts):
            if not isinstance(t, str) or not t.strip():
                raise DataError(f"Input {i + 1} is not a text; give texts to a text model.")
        encoded = self.tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        }

    def _pixels(self, item: Any) -> np.ndarray:
        """One image as the model's input ``[3, size, size]`` float32: resize the shorter
        side, centre-crop, scale to [0, 1], normalise (as ``ImagePreprocessing`` does)."""
        from PIL import Image

        prep = self.spec["preprocessing"]
        image = _image(item)
        width, height = image.size
        short, long = (width, height) if width <= height else (height, width)
        new_long = int(prep["resize"] * long / short)
        size = (prep["resize"], new_long) if width <= height else (new_long, prep["resize"])
        image = image.resize(size, Image.Resampling(_RESAMPLE[prep["interpolation"]]))
        crop = prep["size"]
        left = round((size[0] - crop) / 2.0)
        top = round((size[1] - crop) / 2.0)
        image = image.crop((left, top, left + crop, top + crop))
        x = np.asarray(image, dtype=np.float32) / np.float32(255)
        x = (x - np.asarray(prep["mean"], np.float32)) / np.asarray(prep["std"], np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1))


def _image(item: Any) -> Any:
    from PIL import Image, UnidentifiedImageError

    if isinstance(item, Image.Image):
        return item.convert("RGB")
    if isinstance(item, np.ndarray):
        if item.dtype != np.uint8:
            raise DataError("An image array must hold uint8 pixels (0 to 255).")
        return Image.fromarray(item.squeeze()).convert("RGB")
    try:
        with Image.open(item) as img:
            img.load()
            return img.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(
            f"Cannot decode image {item} ({type(exc).__name__}); check the file."
        ) from None


def _read_spec(directory: Path) -> dict[str, Any]:
    where = directory / EXPORT_FILE
    try:
        spec = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelDirError(
            f"{directory} is not a transferkit export ({EXPORT_FILE} is missing or not JSON); "
            "export one with `transferkit export MODEL_DIR --out DIR`."
        ) from None
    ok = (
        isinstance(spec, dict)
        and spec.get("format") == FORMAT
        and spec.get("version") == VERSION
        and spec.get("modality") in ("image", "text", "features")
        and isinstance(spec.get("classes"), list)
        and all(isinstance(c, str) for c in spec["classes"])
    )
    if ok and spec["modality"] == "image":
        prep = spec.get("preprocessing")
        ok = isinstance(prep, dict) and prep.get("interpolation") in _RESAMPLE
        ok = ok and prep.get("resampler") == "pil"
        ok = ok and all(
            isinstance(prep.get(k), int) and 0 < prep[k] <= 4096 for k in ("size", "resize")
        )
    if not ok:
        raise ModelDirError(
            f"{where} is damaged or was not written by this transferkit; export the model again."
        )
    return spec


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.inter_op_num_threads = 1
    # no spinning between runs: the threads would burn the cores that decode the next batch
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own error types
        raise ModelDirError(f"{path} is damaged ({type(exc).__name__}); export again.") from None


def _tokenizer(directory: Path, spec: dict[str, Any]) -> Any:
    from tokenizers import Tokenizer

    text = spec.get("text") or {}
    try:
        tok = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
    except Exception:  # tokenizers raises a plain Exception for a bad file
        raise ModelDirError(f"{directory / TOKENIZER_FILE} is missing or damaged.") from None
    tok.enable_truncation(int(text.get("max_length", 512)))
    tok.enable_padding(pad_id=int(text.get("pad_id", 0)), pad_token=str(text.get("pad_token", "")))
    return tok


def _familiarity(directory: Path, spec: dict[str, Any]) -> tuple[Any, int, float] | None:
    described = spec.get("familiarity")
    if not described or not (directory / FAMILIARITY_FILE).is_file():
        return None
    from safetensors.numpy import load_file

    from transferkit.evaluation.ood import KNNDistance

    try:
        detector = KNNDistance.from_arrays(load_file(str(directory / FAMILIARITY_FILE)))
    except Exception:  # safetensors' own error type
        raise ModelDirError(f"{directory / FAMILIARITY_FILE} is damaged; export again.") from None
    return detector, int(described["k"]), float(described["threshold"])
