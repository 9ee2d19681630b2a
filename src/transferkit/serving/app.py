"""``transferkit serve``: a model directory (or an ONNX export) behind HTTP, on FastAPI.

Endpoints (OpenAPI documentation at ``/docs``):

* ``GET /health``: the process is up (liveness);
* ``GET /ready``: the model is loaded and has answered a warm-up input (readiness; 503
  before);
* ``GET /metadata``: classes, modality, what to send, preprocessing, the training run's
  figures, the model's SHA-256, the batching and limit settings;
* ``POST /predict``: JSON ``{"texts": [...]}`` for a text model, ``{"images": [base64,
  ...]}`` for an image model (``"inputs"`` is either), or ``multipart/form-data`` image
  uploads (field ``images``); answers a label, the calibrated probabilities and the
  unfamiliar-input flag per input;
* ``POST /generate``, instead, for a generator's directory (``fit --task generate``):
  JSON ``{"prompts": [...]}``, answers the greedy completion of each (``generation.py``).

Bad input is a 422 with one sentence naming the item; a body over ``max_body`` bytes or a
request of more than ``max_items`` inputs is a 413; nothing a client sends stops the
server. Inputs are never read as paths on the server: texts are texts, images are bytes.
Requests are micro-batched (``batcher.Batcher``).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from transferkit.data.dataset import Dataset
from transferkit.models.artifact import model_digest
from transferkit.serving.batcher import Batcher
from transferkit.serving.inputs import MEDIA_FIELDS, answer, read_inputs
from transferkit.serving.limits import BodyLimit
from transferkit.workflows.load import is_generator, load, refuse_generator

#: the environment variable naming the model of ``factory()`` (several worker processes)
MODEL_ENV = "TRANSFERKIT_SERVE_MODEL"


class PredictRequest(BaseModel):
    texts: list[str] | None = Field(None, description="Texts, for a text model.")
    images: list[str] | None = Field(None, description="Base64-encoded image files.")
    recordings: list[str] | None = Field(None, description="Base64-encoded audio files.")
    inputs: list[str] | None = Field(None, description="Either, by the model's modality.")


class Prediction(BaseModel):
    label: str
    probabilities: dict[str, float]
    unfamiliar: bool | None = Field(None, description="Unlike anything seen in training.")


class PredictResponse(BaseModel):
    predictions: list[Prediction]
    model: str = Field(description="SHA-256 of the model that answered.")


class Predictor:
    """The model of a directory, as a function of a list of inputs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        refuse_generator(directory, "a classifier's Predictor")
        self.model = load(directory)
        if hasattr(self.model, "cache"):
            self.model.cache = None  # what clients send is not worth keeping on disk
        self.modality: str = self.model.modality
        self.classes: list[str] = list(self.model.classes_)
        self.digest = model_digest(directory)
        self.summary = f"a {self.modality} classifier"

    def __call__(self, items: list[Any]) -> list[dict[str, Any]]:
        if hasattr(self.model, "as_dataset"):  # a model directory (an export has none)
            origins = [f"input {i + 1}" for i in range(len(items))]
            got = self.model.predictions(Dataset(items, None, self.modality, origins))
            proba, flags = got.proba, got.unfamiliar
        else:  # an export: one pass gives both
            proba, flags = self.model.predictions(items)
        return [
            {
                "label": self.classes[int(p.argmax())],
                "probabilities": {c: float(v) for c, v in zip(self.classes, p, strict=True)},
                "unfamiliar": None if flags is None else bool(flags[i]),
            }
            for i, p in enumerate(proba)
        ]

    def warm_input(self) -> Any:
        if self.modality == "text":
            return "a short warm-up text"
        if self.modality == "audio":
            import numpy as np

            tone = 0.1 * np.sin(np.arange(8000, dtype=np.float32) * 0.3)
            return tone, 8000
        from PIL import Image

        return Image.new("RGB", (64, 64))

    def describe(self) -> dict[str, Any]:
        return describe(self)

    def add_route(self, app: FastAPI, batcher: Batcher, limits: dict) -> None:
        _predict_route(app, self, batcher, limits)


def make_app(
    model_dir: str | Path,
    *,
    max_batch: int = 32,
    max_wait_ms: float = 0.0,
    max_body: int = 20 * 2**20,
    max_items: int = 64,
) -> FastAPI:
    """The application serving ``model_dir``; the model loads here, before it returns.
    A classifier answers ``POST /predict``, a generator (``fit --task generate``)
    ``POST /generate``."""
    if is_generator(model_dir):
        from transferkit.serving.generation import GeneratorPredictor

        predictor: Any = GeneratorPredictor(Path(model_dir))
    else:
        predictor = Predictor(Path(model_dir))
    batcher = Batcher(predictor, max_batch, max_wait_ms / 1000)
    state = {"ready": False}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        await batcher.submit([predictor.warm_input()])
        state["ready"] = True
        yield
        batcher.close()

    app = FastAPI(
        title="transferkit model server",
        description=f"Serves {predictor.directory.name}: {predictor.summary}.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_body=max_body)
    limits = {"max_batch": max_batch, "max_wait_ms": max_wait_ms}
    limits.update(max_body_bytes=max_body, max_items=max_items)
    _routes(app, predictor, batcher, state, limits)
    predictor.add_route(app, batcher, limits)
    return app


def _routes(app: FastAPI, predictor: Any, batcher: Batcher, state: dict, limits: dict) -> None:
    """The routes every server has: liveness, readiness and what it serves."""

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        code = 200 if state["ready"] else 503
        return JSONResponse({"ready": state["ready"]}, status_code=code)

    @app.get("/metadata")
    async def metadata() -> dict[str, Any]:
        return {**predictor.describe(), "limits": limits, "batches_run": batcher.batches}


def _predict_route(app: FastAPI, predictor: Predictor, batcher: Batcher, limits: dict) -> None:
    @app.post(
        "/predict",
        response_model=PredictResponse,
        openapi_extra={"requestBody": _request_body()},
        responses={413: {"description": "Too large"}, 422: {"description": "Bad input"}},
    )
    async def predict(request: Request) -> Any:
        async def work() -> dict[str, Any]:
            items = await read_inputs(request, predictor.modality, limits["max_items"])
            return {"predictions": await batcher.submit(items), "model": predictor.digest}

        return await answer(work)


def _request_body() -> dict[str, Any]:
    schema = PredictRequest.model_json_schema()
    upload = {
        "type": "object",
        "properties": {
            "images": {"type": "array", "items": {"type": "string", "format": "binary"}}
        },
    }
    return {
        "content": {
            "application/json": {"schema": schema},
            "multipart/form-data": {"schema": upload},
        },
        "required": True,
    }


def describe(predictor: Predictor) -> dict[str, Any]:
    """What ``/metadata`` says of the model."""
    model = predictor.model
    record = getattr(model, "record", None)
    spec = getattr(model, "spec", {})
    backbone = record.backbone if record is not None else {"source": spec.get("backbone")}
    kind = MEDIA_FIELDS.get(predictor.modality, "texts")
    return {
        "model": predictor.directory.name,
        "sha256": predictor.digest,
        "modality": predictor.modality,
        "classes": predictor.classes,
        "input": {
            "json": {kind: ["..."]},
            "multipart": "images (files)" if kind == "images" else None,
            "items": "texts" if kind == "texts" else "base64-encoded image files",
        },
        "backbone": backbone.get("source"),
        "preprocessing": backbone.get("preprocessing") or spec.get("preprocessing"),
        "strategy": record.strategy.name if record is not None else spec.get("strategy"),
        "training": _figures(predictor.directory),
    }


def _figures(directory: Path) -> dict[str, Any] | None:
    """The run's held-out figures from ``metrics.json`` (a model directory's), if any."""
    try:
        metrics = json.loads((directory / "metrics.json").read_text())
    except (OSError, ValueError):
        return None
    held = next((k for k in ("test", "val", "cv") if metrics.get(k)), None)
    if held is None:
        return None
    split = metrics[held]
    return {
        "held_out": held,
        "accuracy": split.get("accuracy"),
        "accuracy_interval_95": split.get("accuracy_interval"),
        "n": split.get("n"),
        "majority_accuracy": split.get("majority_accuracy"),
    }


def factory() -> FastAPI:
    """The app for ``uvicorn --factory`` (one per worker process): the model is named by
    ``$TRANSFERKIT_SERVE_MODEL`` and the settings by ``$TRANSFERKIT_SERVE_SETTINGS``."""
    settings = json.loads(os.environ.get("TRANSFERKIT_SERVE_SETTINGS", "{}"))
    return make_app(os.environ[MODEL_ENV], **settings)
