"""``POST /generate``: a generator's directory (``fit --task generate``) behind HTTP.

JSON ``{"prompts": ["...", ...]}`` (``"inputs"`` too) answers ``{"completions": [...],
"model": SHA-256}``: the greedy completion of each prompt, in the chat format the adapters
were trained in, up to the ``max_new_tokens`` the fit recorded. Prompts are checked like
the texts of ``/predict``; the requests are micro-batched by the same ``Batcher``.
Generation writes one token at a time (10-25 tokens a second for SmolLM2 on 2 cores), so
a request takes seconds: keep ``--max-items`` small.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from transferkit.models.artifact import model_digest
from transferkit.serving.batcher import Batcher
from transferkit.serving.inputs import BadInput, answer, checked_count, text


class GenerateRequest(BaseModel):
    prompts: list[str] = Field(description="Prompts, each answered on its own.")


class GenerateResponse(BaseModel):
    completions: list[str]
    model: str = Field(description="SHA-256 of the generator that answered.")


class GeneratorPredictor:
    """The generator of a directory, as a function of a list of prompts."""

    def __init__(self, directory: Path) -> None:
        from transferkit.workflows.load import load

        self.directory = directory
        self.model = load(directory)  # a Generator: the base model and its adapters
        self.modality = "text"
        self.digest = model_digest(directory)
        self.summary = "a generator (prompts in, completions out)"

    def __call__(self, prompts: list[str]) -> list[str]:
        return self.model.generate(prompts)

    def warm_input(self) -> str:
        return "Hello"

    def describe(self) -> dict[str, Any]:
        record = self.model.record
        return {
            "model": self.directory.name,
            "sha256": self.digest,
            "kind": "generator",
            "modality": "text",
            "input": {"json": {"prompts": ["..."]}, "endpoint": "/generate"},
            "base": record.base,
            "instruction": record.instruction,
            "max_new_tokens": record.max_new_tokens,
            "adapter": {"rank": record.rank, "alpha": record.alpha, "targets": record.targets},
            "training": _figures(self.directory),
        }

    def add_route(self, app: FastAPI, batcher: Batcher, limits: dict) -> None:
        @app.post(
            "/generate",
            response_model=GenerateResponse,
            responses={413: {"description": "Too large"}, 422: {"description": "Bad input"}},
        )
        async def generate(request: Request) -> Any:
            async def work() -> dict[str, Any]:
                prompts = _prompts(await request.body(), limits["max_items"])
                return {"completions": await batcher.submit(prompts), "model": self.digest}

            return await answer(work)

        @app.post("/predict", include_in_schema=False)
        async def predict(request: Request) -> Any:
            async def work() -> None:
                raise BadInput(
                    'This server serves a generator; POST {"prompts": [...]} to /generate.'
                )

            return await answer(work)


def _prompts(raw: bytes, max_items: int) -> list[str]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadInput('The body is not JSON; send {"prompts": [...]}.') from None
    if not isinstance(body, dict):
        raise BadInput('The body must be a JSON object such as {"prompts": [...]}.')
    key = next((k for k in ("prompts", "inputs", "texts") if k in body), None)
    if key is None:
        raise BadInput('The body has no "prompts" list; send {"prompts": [...]}.')
    items = body[key]
    if not isinstance(items, list):
        raise BadInput(f'"{key}" must be a list.')
    checked_count(items, max_items)
    return [text(f"{key}[{i}]", p) for i, p in enumerate(items)]


def _figures(directory: Path) -> dict[str, Any] | None:
    """The fit's held-out figures (``metrics.json``): each method's scores on the test
    split (the adapted model beside zero- and k-shot prompting) and the perplexity on
    general text before and after, if the directory has them."""
    try:
        metrics = json.loads((directory / "metrics.json").read_text())
        methods, forgetting = metrics["methods"], metrics.get("forgetting") or {}
        n = metrics["splits"]["test"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    keep = ("perplexity_before", "perplexity_after")
    return {
        "held_out": "test",
        "n": n,
        "methods": methods,
        **{k: forgetting.get(k) for k in keep},
    }
