"""``transferkit serve``: a model directory (or an ONNX export) behind HTTP."""

from __future__ import annotations

import json
import os

import click

from transferkit.cli.console import err, escape
from transferkit.errors import ConfigError


@click.command()
@click.argument("model_dir")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--max-batch",
    default=32,
    show_default=True,
    type=int,
    help="Largest batch of inputs run at once (1: no batching).",
)
@click.option(
    "--max-wait-ms",
    default=0.0,
    show_default=True,
    type=float,
    help="How long a batch waits for more requests; 0: it takes what queued while the "
    "last batch ran (measured best or equal but for images at concurrency 32).",
)
@click.option(
    "--max-body-mb",
    default=20.0,
    show_default=True,
    type=float,
    help="Largest request body; a larger one is answered 413.",
)
@click.option(
    "--max-items",
    default=64,
    show_default=True,
    type=int,
    help="Most inputs in one request; more is answered 413.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Worker processes, each with its own copy of the model.",
)
def serve(
    model_dir: str,
    host: str,
    port: int,
    max_batch: int,
    max_wait_ms: float,
    max_body_mb: float,
    max_items: int,
    workers: int,
) -> None:
    """Serve MODEL_DIR over HTTP: GET /health, /ready, /metadata; POST /predict (JSON texts,
    base64 images or image uploads), or POST /generate (JSON prompts) for a generator;
    OpenAPI docs at /docs. Binds to 127.0.0.1 unless
    --host says otherwise."""
    try:
        import uvicorn

        from transferkit.serving.app import MODEL_ENV, make_app
    except ImportError as exc:
        raise ConfigError(
            f"transferkit serve needs {exc.name}; run `pip install 'transferkit[serve]'`."
        ) from None

    for name, value, low in (("--max-batch", max_batch, 1), ("--max-items", max_items, 1)):
        if value < low:
            raise ConfigError(f"{name} must be at least {low}, not {value}.")
    if max_wait_ms < 0 or max_body_mb <= 0 or workers < 1 or not 0 < port < 65536:
        raise ConfigError(
            "--max-wait-ms must be 0 or more, --max-body-mb and --workers positive, and "
            "--port between 1 and 65535."
        )
    settings = {"max_batch": max_batch, "max_wait_ms": max_wait_ms}
    settings.update(max_body=int(max_body_mb * 2**20), max_items=max_items)
    app = make_app(model_dir, **settings)  # loads now: a bad directory fails here
    err.print(f"Serving {escape(model_dir)} on http://{escape(host)}:{port} (docs at /docs)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    os.environ[MODEL_ENV] = os.path.abspath(model_dir)
    os.environ["TRANSFERKIT_SERVE_SETTINGS"] = json.dumps(settings)
    uvicorn.run(
        "transferkit.serving.app:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
