"""What a request to ``transferkit serve`` holds, checked: texts, base64 images or audio
files, or multipart uploads; and how a problem with it becomes an HTTP answer (422 with
one sentence naming the item, 413 for too much, 500 without stopping the server)."""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from transferkit.errors import TransferkitError

#: the longest text accepted (characters); a tokenizer truncates far below this anyway
MAX_TEXT = 100_000


class BadInput(Exception):
    """An input of a request cannot be used: 422 with this sentence."""


class TooLarge(Exception):
    """A request holds more than the server takes: 413 with this sentence."""


async def answer(work: Callable[[], Awaitable[Any]]) -> Any:
    """``work()``'s result, or the error response of what went wrong: the server answers
    every request and stays up."""
    try:
        return await work()
    except BadInput as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    except TooLarge as exc:
        return JSONResponse({"detail": str(exc)}, status_code=413)
    except TransferkitError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    except Exception as exc:
        detail = f"The model failed on this request ({type(exc).__name__}); report it."
        return JSONResponse({"detail": detail}, status_code=500)


def checked_count(raw: list[Any], max_items: int) -> None:
    """Refuse an empty request, or one of more than ``max_items`` inputs."""
    if not raw:
        raise BadInput("The request holds no inputs; send at least one.")
    if len(raw) > max_items:
        raise TooLarge(
            f"The request holds {len(raw)} inputs and this server takes at most {max_items}; "
            "send them in several requests."
        )


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
    checked_count(raw, max_items)
    if modality == "text":
        return [text(name, value) for name, value in raw]
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


def text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        kind = type(value).__name__
        raise BadInput(f"{name} is not a text ({'an' if kind[0] in 'aeiou' else 'a'} {kind}).")
    if not value.strip():
        raise BadInput(f"{name} is an empty text; send a text with words in it.")
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
