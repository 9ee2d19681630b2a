"""``transferkit predict`` and ``evaluate``: a saved model on new inputs. Both go through
``TransferModel.predictions``, the one place a model predicts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from transferkit.cli.console import err, escape, out, progress
from transferkit.cli.generate import predict_generations
from transferkit.cli.options import config_options
from transferkit.errors import ConfigError
from transferkit.workflows.configs import EvaluateRun, PredictRun


@click.command()
@click.argument("model_dir")
@click.argument("inputs", nargs=-1, required=True)
@config_options(PredictRun)
def predict(model_dir: str, inputs: tuple[str, ...], **values: Any) -> None:
    """Predict classes of INPUTS: image files or folders, or a CSV/TSV/JSONL/text file
    (for a text model, words that are not files are the texts themselves); a generator's
    directory (fit --task generate) writes its answers to them."""
    from transferkit.cli.output import format_predictions
    from transferkit.data.dataset import Dataset
    from transferkit.workflows.load import is_generator, load

    run = PredictRun.from_dict({k: v for k, v in values.items() if v is not None})
    if run.out:
        writable_file(Path(run.out), run.overwrite)
    if is_generator(model_dir):
        shown = predict_generations(
            model_dir, inputs, run.format, run.text_column, not run.out, run.base
        )
        if run.out:
            write_file(Path(run.out), shown)
            err.print(f"Wrote the answers to {escape(run.out)}", soft_wrap=True)
        elif run.format == "table":
            out.print(shown, soft_wrap=True)
        else:
            click.echo(shown, nl=False)
        return
    if run.base is not None:
        raise ConfigError(
            f"--base names a generator's base model, and {model_dir} is a classifier; "
            "leave --base out."
        )
    model = model_dir_only(load(model_dir), model_dir)
    if model.modality == "image" or all(Path(p).exists() for p in inputs):
        parts = [model.as_dataset(p, run.text_column) for p in inputs]
    else:
        parts = [model.as_dataset(list(inputs))]
    ds = Dataset(
        [x for p in parts for x in p.inputs],
        None,
        model.modality,
        [o for p in parts for o in p.origins],
    )
    predictions = model.predictions(ds, run.task, progress())
    rendered = format_predictions(predictions, run.format)
    if run.out:
        write_file(Path(run.out), rendered if isinstance(rendered, str) else str(rendered))
        err.print(f"Wrote {len(ds)} predictions to {escape(run.out)}", soft_wrap=True)
    elif isinstance(rendered, str):
        click.echo(rendered, nl=False)
    else:
        out.print(rendered)


def model_dir_only(model: Any, model_dir: str) -> Any:
    """The command line predicts with model directories; an export is for other places."""
    if not hasattr(model, "as_dataset"):
        raise ConfigError(
            f"{model_dir} is an ONNX export; predict with the model directory it came from, "
            "or in Python with transferkit.load(DIR).predict(...)."
        )
    return model


def writable_file(path: Path, overwrite: bool) -> None:
    """Fail before any work if the results file ``path`` cannot be written there."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give --out a file name.")
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} already exists; choose another --out or pass --overwrite.")
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}."):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"Cannot write {path} ({reason}); choose another --out.") from None


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary sibling, renamed)."""
    tmp = path.parent / f".{path.name}.partial-{os.getpid()}"
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def relabelled(ds: Any, label_map: list[str] | None) -> Any:
    """The data set with its labels renamed by ``NAME=CLASS`` pairs."""
    if not label_map:
        return ds
    mapping = {}
    for pair in label_map:
        name, eq, cls = pair.partition("=")
        if not eq:
            raise ConfigError(f"--label-map {pair!r} is not NAME=CLASS (e.g. positive=1).")
        mapping[name.strip()] = cls.strip()
    ds.labels = [mapping.get(label, label) for label in ds.labels or []]
    return ds


@click.command()
@click.argument("model_dir")
@click.argument("data")
@config_options(EvaluateRun)
def evaluate(model_dir: str, data: str, **values: Any) -> None:
    """Measure a saved model on labelled DATA (a folder of class folders or a table)."""
    from transferkit.cli.output import print_evaluation
    from transferkit.data import DataConfig, read_dataset
    from transferkit.workflows.load import load, refuse_generator

    run = EvaluateRun.from_dict({k: v for k, v in values.items() if v is not None})
    refuse_generator(model_dir, "evaluate")
    model = model_dir_only(load(model_dir), model_dir)
    recorded = model.record.data.get("config", {})
    # read the data the way the model's training data was read (same columns)
    columns = {k: recorded[k] for k in ("text_column", "label_column") if recorded.get(k)}
    ds = relabelled(
        read_dataset(data, DataConfig.from_dict(columns), split=run.split), run.label_map
    )
    if ds.modality != model.modality:
        raise ConfigError(
            f"{data} holds {ds.modality}s, but {model_dir} is a model of {model.modality}s; "
            f"evaluate it on {model.modality} data."
        )
    unknown = sorted(set(ds.labels or []) - set(model.classes_))
    if unknown:
        pairs = ",".join(f"{u}=CLASS" for u in unknown[:3])
        raise ConfigError(
            f"The labels of {data} ({', '.join(unknown[:5])}) are not classes of the model "
            f"({', '.join(model.classes_[:5])}); map them with --label-map {pairs}."
        )
    metrics = model.evaluate(ds, progress=progress())
    print_evaluation(out, metrics, model.classes_, run.format)
