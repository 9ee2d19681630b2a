"""``transferkit`` on the command line: a thin layer over the Python API.

A user error prints one sentence and exits with status 2; ``--debug`` (anywhere on the
command line) shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from transferkit.cli.options import config_options
from transferkit.cli.rank import rank_command
from transferkit.data.config import DataConfig
from transferkit.errors import ConfigError, TransferkitError
from transferkit.runtime import keep_freed_memory
from transferkit.strategies import STRATEGIES

out = Console()
err = Console(stderr=True)


def _strategy_configs() -> list[tuple[str, Any]]:
    return [(e.name, e.obj.Config) for e in STRATEGIES]


def _is_main() -> bool:
    from transferkit.runtime import is_main_process

    return is_main_process()


def _progress() -> Any:
    from transferkit.progress import SILENT, RichProgress

    return RichProgress(err) if _is_main() else SILENT


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="transferkit")
def cli() -> None:
    """Adapt a pretrained model to your labelled data, and find out whether it worked.

    Add --debug anywhere to see a traceback when something goes wrong.
    """


def _read_run_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"Cannot read run file {path} ({exc.__class__.__name__}); check it is YAML."
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"Run file {path} must be a mapping of option names to values.")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


RUN_KEYS = ("data", "model", "strategy", "out", "overwrite", "seed", "weights", "cache")


@cli.command()
@click.argument("data", required=False)
@click.option(
    "--model",
    "-m",
    help="Backbone: a name from `transferkit models`, torchvision:NAME, "
    "timm:NAME, hf:ID or a local model folder (default: mobilenet_v2 for images, "
    "all-MiniLM-L6-v2 for text).",
)
@click.option(
    "--strategy",
    "-s",
    help="How to adapt it: a name from `transferkit strategies` (default: linear-probe).",
)
@click.option("--out", "-o", help="Model directory to write.")
@click.option("--overwrite", is_flag=True, default=None, help="Replace --out if it exists.")
@click.option(
    "--seed", type=int, help="Seed for splits, sampling, initialisation, order (default: 0)."
)
@click.option("--weights", help="Local weights file (.safetensors or .pth) for the backbone.")
@click.option(
    "--config", "run_file", help="YAML run file with any of these options; flags override it."
)
@click.option(
    "--cache/--no-cache", default=None, help="Use the on-disk feature cache (default: on)."
)
@config_options([("data", DataConfig), *_strategy_configs()])
def fit(**values: Any) -> None:
    """Train a classifier on DATA from a pretrained backbone and save it with --out.

    DATA is a folder of class sub-folders of images (optionally inside train/, val/,
    test/), or a CSV, TSV or JSONL file of texts with a label column (or a folder of
    train/dev/test tables).
    """
    import transferkit

    run = _read_run_file(values.pop("run_file")) if values.get("run_file") else {}
    options = {**run, **{k: v for k, v in values.items() if v is not None}}
    if "data" not in options:
        raise ConfigError(
            "No data given; pass DATA (a folder or table) or `data:` in the run file."
        )
    args = {k: options.pop(k) for k in RUN_KEYS if k in options}
    result = transferkit.fit(args.pop("data"), progress=_progress(), **args, **options)
    from transferkit.cli.output import print_fit_summary

    if _is_main():
        print_fit_summary(out, result)


@cli.command()
@click.argument("model_dir")
@click.argument("data")
@click.option("--split", help="Which split of DATA to use when it holds several (default: test).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def evaluate(model_dir: str, data: str, split: str | None, fmt: str) -> None:
    """Measure a saved model on labelled DATA (a folder of class folders or a table)."""
    import transferkit
    from transferkit.cli.output import print_evaluation
    from transferkit.data import read_dataset

    model = transferkit.load(model_dir)
    ds = read_dataset(data, _data_config_of(model), split=split)
    metrics = model.evaluate(ds, progress=_progress())
    print_evaluation(out, metrics, model.classes_, fmt)


def _data_config_of(model: Any) -> DataConfig:
    """Read evaluation data the way the model's training data was read (same columns)."""
    recorded = model.record.get("data", {}).get("config", {})
    keep = {k: recorded[k] for k in ("text_column", "label_column") if recorded.get(k)}
    return DataConfig.from_dict(keep)


@cli.command()
@click.argument("model_dir")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--output", help="Write the predictions to this file instead of the screen.")
@click.option("--overwrite", is_flag=True, help="Replace --output if it exists.")
@click.option(
    "--text-column", help="Column of a table holding the texts (detected when unambiguous)."
)
def predict(
    model_dir: str,
    inputs: tuple[str, ...],
    fmt: str,
    output: str | None,
    overwrite: bool,
    text_column: str | None,
) -> None:
    """Predict classes of INPUTS: image files or folders, or a CSV/TSV/JSONL/text file."""
    import transferkit
    from transferkit.cli.output import format_predictions
    from transferkit.data.dataset import Dataset
    from transferkit.evaluation.metrics import softmax

    if output and Path(output).exists() and not overwrite:
        raise ConfigError(f"{output} already exists; choose another --output or pass --overwrite.")
    model = transferkit.load(model_dir)
    if model.modality == "image" or all(Path(p).exists() for p in inputs):
        parts = [model.as_dataset(p, text_column) for p in inputs]
    else:  # a text model given words that are not files: they are the texts
        parts = [model.as_dataset(list(inputs))]
    ds = Dataset(
        [x for p in parts for x in p.inputs],
        None,
        model.modality,
        [o for p in parts for o in p.origins],
    )
    features, logits = model.analyse(ds, progress=_progress())
    proba = softmax(logits[:, model._task_slice(None)] / model.temperature)
    unfamiliar = model.familiarity.flags(features) if model.familiarity is not None else None
    rendered = format_predictions(ds.origins, model.classes_, proba, fmt, unfamiliar)
    if output:
        Path(output).write_text(rendered if isinstance(rendered, str) else str(rendered))
        err.print(f"Wrote {len(ds)} predictions to {output}")
    else:
        out.print(rendered) if not isinstance(rendered, str) else click.echo(rendered, nl=False)


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Include the tiny test backbones.")
def models(show_all: bool) -> None:
    """List registered backbones and whether their weights are available offline now."""
    from rich.table import Table

    from transferkit.backbones import BACKBONES, SOURCES

    table = Table(title="Backbones", title_justify="left")
    for col in ("name", "modality", "weights here", "description"):
        table.add_column(col)
    for entry in (e.obj for e in BACKBONES):
        if entry.for_tests and not show_all:
            continue
        ok = entry.available()
        table.add_row(
            entry.name, entry.modality, "yes" if ok else f"no: {entry.install}", entry.description
        )
    out.print(table)
    sources = Table(
        title="Generic sources (weights from local caches, or downloaded when online)",
        title_justify="left",
    )
    for col in ("source", "example", "description"):
        sources.add_column(col)
    for s in (e.obj for e in SOURCES):
        sources.add_row(f"{s.prefix}:NAME", s.example, s.description)
    sources.add_row("PATH", "./my-model", "a local Hugging Face model folder")
    out.print(sources)


@cli.command()
@click.argument("name", required=False)
def strategies(name: str | None) -> None:
    """List strategies, or show the options of one."""
    from rich.table import Table

    if name is None:
        table = Table(
            title="Strategies (`transferkit strategies NAME` shows options)", title_justify="left"
        )
        table.add_column("name")
        table.add_column("what it does")
        for e in STRATEGIES:
            table.add_row(e.name, e.obj.summary)
        out.print(table)
        return
    cls = STRATEGIES.get(name)
    table = Table(title=f"{name}: {cls.summary}", title_justify="left")
    for col in ("option", "type", "default", "meaning"):
        table.add_column(col)
    for f in cls.Config.fields():
        table.add_row("--" + f.name.replace("_", "-"), f.type_name, str(f.default), f.help)
    out.print(table)


cli.add_command(rank_command)


def _register_commands() -> None:
    from transferkit.cli.studies import adapt, compare, explore

    cli.add_command(compare)
    cli.add_command(explore)
    cli.add_command(adapt)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if not debug:
        warnings.filterwarnings("ignore")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    keep_freed_memory()
    try:
        cli.main(args=args, prog_name="transferkit", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("Interrupted; nothing was saved.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TransferkitError as exc:
        if debug:
            raise
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("Interrupted; nothing was saved.")
        sys.exit(130)


if __name__ == "__main__":
    main()
