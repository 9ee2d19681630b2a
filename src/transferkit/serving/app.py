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
  unfamiliar-input flag per input.

Bad input is a 422 with one sentence naming the item; a body over ``max_body`` bytes or a
request of more than ``max_items`` inputs is a 413; nothing a client sends stops the
server. Inputs are never read as paths on the server: texts are texts, images are bytes.
Requests are micro-batched (``batcher.Batcher``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from transferkit.data.dataset import Dataset
from transferkit.errors import TransferkitError
from transferkit.models.artifact import model_digest
from transferkit.serving.batcher import Batcher
from transferkit.serving.limits import BodyLimit
from transferkit.workflows.load import load, refuse_generator

#: the longest text accepted (characters); a tokenizer truncates far below this anyway
MAX_TEXT = 100_000
#: the environment variable naming the model of ``factory()`` (several worker processes)
MODEL_ENV = "TRANSFERKIT_SERVE_MODEL"


class BadInput(Exception):
    """An input of a request cannot be used: 422 with this sentence."""


class TooLarge(Exception):
    """A request holds more than the server takes: 413 with this sentence."""


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
        refuse_generator(directory, "serve")
        self.model = load(directory)
        if hasattr(self.model, "cache"):
            self.model.cache = None  # what clients send is not worth keeping on disk
        self.modality: str = self.model.modality
        self.classes: list[str] = list(self.model.classes_)
        self.digest = model_digest(directory)

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


def make_app(
    model_dir: str | Path,
    *,
    max_batch: int = 32,
    max_wait_ms: float = 0.0,
    max_body: int = 20 * 2**20,
    max_items: int = 64,
) -> FastAPI:
    """The application serving ``model_dir``; the model loads here, before it returns."""
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
        description=f"Serves {predictor.directory.name}: a {predictor.modality} classifier.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_body=max_body)
    limits = {"max_batch": max_batch, "max_wait_ms": max_wait_ms}
    limits.update(max_body_bytes=max_body, max_items=max_items)
    _routes(app, predictor, batcher, state, limits)
    return app


def _routes(
    app: FastAPI, predictor: Predictor, batcher: Batcher, state: dict, limits: dict
) -> None:
    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        code = 200 if state["ready"] else 503
        return JSONResponse({"ready": state["ready"]}, status_code=code)

    @app.get("/metadata")
    async def metadata() -> dict[str, Any]:
        return {**describe(predictor), "limits": limits, "batches_run": batcher.batches}

    @app.post(
        "/predict",
        response_model=PredictResponse,
        openapi_extra={"requestBody": _request_body()},
        responses={413: {"description": "Too large"}, 422: {"description": "Bad input"}},
    )
    async def predict(request: Request) -> Any:
        try:
            items = await read_inputs(request, predictor.modality, limits["max_items"])
            results = await batcher.submit(items)
        except BadInput as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        except TooLarge as exc:
            return JSONResponse({"detail": str(exc)}, status_code=413)
        except TransferkitError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        except Exception as exc:  # the server answers and stays up
            detail = f"The model failed on this request ({type(exc).__name__}); report it."
            return JSONResponse({"detail": detail}, status_code=500)
        return {"predictions": results, "model": predictor.digest}


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


async def read_inputs(request: Request, modality: str, max_items: int) -> list[Any]:
    """The inputs of a request, checked: texts, or images decoded to RGB."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        if modality not in MEDIA_FIELDS:
            raise BadInput('This is a text model; send JSON {"texts": [...]}.')
        form = await request.form()
        field = MEDIA_FIELDS[modality]
        raw = [(f"{field}[{i}]", await f.read()) for i, f in enumerate(form.getlist(field))]
        raw = [(name, data) for name, data in raw if isinstance(data, bytes)]
    else:
        raw = _json_items(await request.body(), modality)
    if not raw:
        raise BadInput("The request holds no inputs; send at least one.")
    if len(raw) > max_items:
        raise TooLarge(
            f"The request holds {len(raw)} inputs and this server takes at most {max_items}; "
            "send them in several requests."
        )
    if modality == "text":
        return [_text(name, value) for name, value in raw]
    if modality == "audio":
        return [_recording(name, value) for name, value in raw]
    return [_decoded(name, value) for name, value in raw]


#: the request field of each medium: multipart files or base64 strings in JSON
MEDIA_FIELDS = {"image": "images", "audio": "recordings"}


def _json_items(body: bytes, modality: str) -> list[tuple[str, Any]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadInput(
            'The body is not JSON; send {"texts": [...]} or {"images": [...]}.'
        ) from None
    field = MEDIA_FIELDS.get(modality, "texts")
    if not isinstance(data, dict):
        raise BadInput(f'The body must be a JSON object such as {{"{field}": [...]}}.')
    key = field if field in data else "inputs" if "inputs" in data else None
    if key is None:
        others = {"texts", *MEDIA_FIELDS.values()} - {field}
        noun = {"images": "n image", "recordings": "n audio"}.get(field, " text")
        said = f" (this is a{noun} model)" if others & set(data) else ""
        raise BadInput(f'The body has no "{field}" list{said}; send {{"{field}": [...]}}.')
    items = data[key]
    if not isinstance(items, list):
        raise BadInput(f'"{key}" must be a list.')
    if modality != "text":
        return [(f"{key}[{i}]", _base64(f"{key}[{i}]", v)) for i, v in enumerate(items)]
    return [(f"{key}[{i}]", v) for i, v in enumerate(items)]


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        kind = type(value).__name__
        raise BadInput(f"{name} is not a text ({'an' if kind[0] in 'aeiou' else 'a'} {kind}).")
    if not value.strip():
        raise BadInput(f"{name} is an empty text; send a text to classify.")
    if len(value) > MAX_TEXT:
        raise BadInput(f"{name} holds {len(value):,} characters; send at most {MAX_TEXT:,}.")
    return value


def _base64(name: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise BadInput(f"{name} is not a base64-encoded image ({type(value).__name__}).")
    try:
        return base64.b64decode(value.split(",", 1)[-1], validate=True)  # data: URLs too
    except (binascii.Error, ValueError):
        raise BadInput(f"{name} is not valid base64; encode the image file's bytes.") from None


def _recording(name: str, data: bytes) -> tuple[Any, int]:
    """An audio file's bytes as (samples, sample rate), checked like a recording on disk."""
    import numpy as np
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as fh:
            if fh.frames > MAX_RECORDING_SECONDS * fh.samplerate:
                raise BadInput(
                    f"{name} is {fh.frames / fh.samplerate:.0f} s long; send clips of at most "
                    f"{MAX_RECORDING_SECONDS} s."
                )
            samples = fh.read(dtype="float32")
            rate = fh.samplerate
    except BadInput:
        raise
    except Exception as exc:  # libsndfile's errors carry no stable type
        raise BadInput(f"{name} is not a readable audio file ({type(exc).__name__}).") from None
    if samples.size == 0 or not np.isfinite(samples).all():
        raise BadInput(f"{name} holds no usable samples; send a recording.")
    return samples, int(rate)


#: a served request decodes the whole recording; longer ones are sessions, not clips
MAX_RECORDING_SECONDS = 60


def _decoded(name: str, data: bytes) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return img.convert("RGB")
    except Image.DecompressionBombError:
        raise BadInput(
            f"{name} claims more pixels than any real photo; send a real image."
        ) from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise BadInput(f"{name} is not a readable image ({type(exc).__name__}).") from None


def factory() -> FastAPI:
    """The app for ``uvicorn --factory`` (one per worker process): the model is named by
    ``$TRANSFERKIT_SERVE_MODEL`` and the settings by ``$TRANSFERKIT_SERVE_SETTINGS``."""
    settings = json.loads(os.environ.get("TRANSFERKIT_SERVE_SETTINGS", "{}"))
    return make_app(os.environ[MODEL_ENV], **settings)
