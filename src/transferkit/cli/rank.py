"""``transferkit rank DATA``: which pretrained backbone to transfer from, before training."""

from __future__ import annotations

import json
from typing import Any

import click

from transferkit.data.config import DataConfig
from transferkit.ranking.config import RankConfig

# The data options that matter for scoring the training examples (the others choose
# validation and test splits, which ranking never reads).
_DATA_OPTIONS = ("max_train", "shots", "text_column", "label_column", "on_bad_input")


def _help(config: type[Any], name: str) -> str:
    """An option's help, from its config field, so it is written once."""
    info = next(f for f in config.fields() if f.name == name)
    return f"{info.help} (default: {info.default})"


def _data_options(fn: Any) -> Any:
    for name in reversed(_DATA_OPTIONS):
        info = next(f for f in DataConfig.fields() if f.name == name)
        kind = click.Choice(list(info.choices)) if info.choices else None
        kind = kind or (click.INT if name in ("max_train", "shots") else click.STRING)
        fn = click.option(
            "--" + name.replace("_", "-"), name, type=kind, help=_help(DataConfig, name)
        )(fn)
    return fn


@click.command("rank")
@click.argument("data")
@click.option(
    "--models",
    "-m",
    help="Backbones to compare, comma-separated (names from `transferkit models`, "
    "torchvision:NAME, timm:NAME, hf:ID); default: every installed backbone of the data's "
    "modality.",
)
@click.option("--scores", help=_help(RankConfig, "scores"))
@click.option("--primary", help=_help(RankConfig, "primary"))
@click.option("--bootstrap", type=int, default=100, help=_help(RankConfig, "bootstrap"))
@click.option("--seed", type=int, default=0, help="Seed for sampling and resampling.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--cache/--no-cache", default=True, help="Use the on-disk feature cache.")
@_data_options
def rank_command(
    data: str,
    models: str | None,
    scores: str | None,
    primary: str | None,
    bootstrap: int,
    seed: int,
    fmt: str,
    cache: bool,
    **data_options: Any,
) -> None:
    """Rank pretrained backbones for DATA by transferability scores computed from their
    frozen features, and recommend one, without training any.

    DATA is what `transferkit fit` reads; its training split is scored (a test split is
    never read). Each backbone embeds the examples once (cached), then LogME, H-score,
    LEEP, NCE and cross-validated k-NN and linear-probe accuracy are computed; the table
    shows each score with the rank it implies and the time taken.
    """
    import transferkit
    from transferkit.cli.main import _progress, out
    from transferkit.ranking.report import render

    result = transferkit.rank(
        data,
        models,
        scores,
        primary=primary,
        bootstrap=bootstrap,
        seed=seed,
        cache=cache,
        progress=_progress(),
        **{k: v for k, v in data_options.items() if v is not None},
    )
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        out.print(render(result))
