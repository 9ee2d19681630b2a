"""``transferkit rank DATA``: which pretrained backbone to transfer from, before training.
Options from ``RankRun``, ``RankConfig`` and ``DataConfig``."""

from __future__ import annotations

import json
from typing import Any

import click

from transferkit.cli.console import out, progress, starting
from transferkit.cli.options import config_options, given
from transferkit.data.config import DataConfig
from transferkit.ranking.config import RankConfig
from transferkit.workflows.configs import RankRun


@click.command("rank")
@click.argument("data")
@config_options(RankRun, RankConfig, DataConfig)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    help="How to print the ranking (default: table)",
)
def rank_command(data: str, fmt: str, **values: Any) -> None:
    """Rank pretrained backbones for DATA by transferability scores computed from their
    frozen features, and recommend one, without training any.

    DATA is what `transferkit fit` reads; its training split is scored (a test split is
    never read). Each backbone embeds the examples once (cached), then LogME, H-score,
    LEEP, NCE and cross-validated k-NN and linear-probe accuracy are computed; the table
    shows each score with the rank it implies and the time taken.
    """
    starting("rank")
    from transferkit.ranking.report import render
    from transferkit.workflows.rank import rank

    run = RankRun.from_dict(given(values, RankRun.field_names()))
    config = RankConfig.from_dict(given(values, RankConfig.field_names()))
    data_options = given(values, DataConfig.field_names())
    result = rank(data, **run.to_dict(), **config.to_dict(), progress=progress(), **data_options)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        out.print(render(result))
