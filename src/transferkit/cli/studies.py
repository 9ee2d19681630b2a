"""``transferkit compare``, ``explore`` and ``adapt``: options from ``CompareRun``,
``ExploreRun``, ``AdaptRun`` and ``DataConfig``; the options of the strategies a study
runs, or of the adaptation method, from the rest of the command line."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from transferkit.cli.console import escape, out, progress, starting
from transferkit.cli.fit import strategy_fields
from transferkit.cli.options import config_options, given, plugin_command, plugin_options
from transferkit.cli.output import COLOURS, split_line
from transferkit.data.config import DataConfig
from transferkit.errors import ConfigError
from transferkit.evaluation.verdicts import accuracy_verdict, adaptation_verdict
from transferkit.workflows.configs import AdaptRun, CompareRun, ExploreRun


def _targeted(pairs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``finetune.epochs=5`` -> ``{"finetune": {"epochs": "5"}}`` (values are checked by the
    strategy's config)."""
    options: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        strategy, dot, name = key.partition(".")
        if not eq or not dot:
            raise ConfigError(
                f"--option {pair!r} is not STRATEGY.NAME=VALUE (e.g. finetune.epochs=5)."
            )
        options.setdefault(strategy, {})[name.replace("-", "_")] = value
    return options


def _data(positional: list[str], what: str = "DATA") -> str:
    if len(positional) != 1:
        extra = f"unexpected argument {positional[1]!r}" if positional else f"no {what} given"
        raise ConfigError(f"Give one {what} ({extra}); options start with --.")
    return positional[0]


def study_options(
    args: tuple[str, ...], strategies: list[str], pairs: tuple[str, ...]
) -> tuple[str, dict[str, dict[str, Any]]]:
    """DATA, and the options of each strategy: a plain ``--name VALUE`` applies to every
    listed strategy that has that option, ``--option S.NAME=VALUE`` to strategy S."""
    fields: dict[str, Any] = {}
    for name in strategies:
        fields.update(strategy_fields(name))
    listed = ", ".join(strategies)
    positional, shared = plugin_options(
        args, fields, f"the strategies {listed}", "transferkit strategies NAME"
    )
    options = {s: {k: v for k, v in shared.items() if k in strategy_fields(s)} for s in strategies}
    for strategy, values in _targeted(pairs).items():
        options.setdefault(strategy, {}).update(values)
    return _data(positional), options


@plugin_command("Strategy")
@config_options(CompareRun, DataConfig)
@click.option(
    "--option",
    "option_pairs",
    multiple=True,
    metavar="STRATEGY.NAME=VALUE",
    help="An option of one strategy, e.g. finetune.epochs=5 (repeatable); a plain "
    "--epochs 5 applies to every strategy that has it.",
)
def compare(args: tuple[str, ...], option_pairs: tuple[str, ...], **values: Any) -> None:
    """Compare strategies across training-set sizes and seeds on DATA's test split, and say
    whether transfer beats training from scratch."""
    starting("compare")
    from transferkit.workflows.compare import compare as run

    run_values = given(values, CompareRun.field_names())
    data_options = given(values, DataConfig.field_names())
    cfg = CompareRun.from_dict(run_values)
    data, options = study_options(args, cfg.strategies, option_pairs)
    result = run(
        data,
        cfg.model,
        cfg.strategies,
        list(cfg.sizes),
        cfg.seeds,
        out=cfg.out,
        overwrite=cfg.overwrite,
        ci=cfg.ci,
        cache=cfg.cache,
        options=options,
        scratch_model=cfg.scratch_model,
        progress=progress(),
        **data_options,
    )
    table = Table(title=f"Test accuracy on {escape(result.test_origin)}", title_justify="left")
    for col in ("strategy", "per class", "mean", "95% CI", "per seed", "s / run"):
        table.add_column(col)
    for c in result.cells:
        ci = f"[{c.low:.3f}, {c.high:.3f}]" if c.low == c.low else "-"
        table.add_row(
            c.strategy,
            c.size,
            f"{c.mean:.3f}",
            escape(ci),
            " ".join(f"{a:.3f}" for a in c.accuracies),
            f"{sum(c.seconds) / len(c.seconds):.0f}",
        )
    out.print(table)
    for v in result.verdicts:
        colour = {"gain": "green", "negative": "red"}.get(v.kind, "yellow")
        out.print(f"[{colour}]{escape(v.sentence)}[/]")
    for note in result.notes:
        out.print(escape(note))
    if result.out:
        out.print(f"Report: {escape(str(result.out / 'report.html'))}", soft_wrap=True)


@click.command()
@click.argument("data")
@config_options(ExploreRun, DataConfig)
def explore(data: str, **values: Any) -> None:
    """Look at DATA through a pretrained model's eyes: a 2-D map, k-means clusters (with
    labels, against them, and nearest-neighbour accuracy), and domain separability from
    --second. DATA needs no labels: a folder of images, a text file (one text per line) or
    a table of texts; --no-labels ignores labels it has. Writes clusters.csv
    (one row per example) beside the report."""
    starting("explore")
    from transferkit.evaluation.embedding import k_choice_sentence, scan_sentence
    from transferkit.workflows.explore import CLUSTERS_FILE
    from transferkit.workflows.explore import explore as run

    cfg = ExploreRun.from_dict(given(values, ExploreRun.field_names()))
    result = run(
        data, progress=progress(), **cfg.to_dict(), **given(values, DataConfig.field_names())
    )
    noun = {"text": "texts", "audio": "recordings"}.get(result.modality, "images")
    labels = f"{len(result.classes)} classes" if result.labelled else "no labels"
    out.print(f"{result.n} {noun}, {labels}; map by {result.method}.")
    out.print(f"k-means: {k_choice_sentence(result.k, result.k_source, result.silhouette)}")
    scan = scan_sentence(result.k_source, result.scan_ranking())
    if scan:
        out.print(f"Silhouette scan, k = 2..{max(result.silhouettes)}: {scan}.")
    if result.knn_accuracy is None or result.cluster_ari is None:
        out.print("No labels, so no adjusted Rand index or nearest-neighbour accuracy.")
    else:
        out.print(f"Nearest-neighbour accuracy (5-NN, cross-validated): {result.knn_accuracy:.3f}")
        out.print(
            f"{result.k} k-means clusters against the {len(result.classes)} classes "
            f"(adjusted Rand index): {result.cluster_ari:.3f}"
        )
    if result.domain_distance is not None:
        out.print(
            f"Domain separability (proxy A-distance, 0 = same, 2 = disjoint): "
            f"{result.domain_distance:.3f}"
        )
    for note in result.notes:
        out.print(escape(note))
    if result.out:
        out.print(f"Clusters: {escape(str(result.out / CLUSTERS_FILE))}", soft_wrap=True)
        out.print(f"Report: {escape(str(result.out / 'report.html'))}", soft_wrap=True)


@plugin_command("The method's", metavar="")
@config_options(AdaptRun, DataConfig)
def adapt(args: tuple[str, ...], **values: Any) -> None:
    """Adapt a pretrained model to an unlabelled target domain (--target) using labelled
    source data (--source)."""
    starting("adapt")
    from transferkit.workflows.adapt import adapt as run

    cfg = AdaptRun.from_dict(given(values, AdaptRun.field_names()))
    if cfg.source is None or cfg.target is None:
        raise ConfigError("adapt needs both --source (labelled) and --target (unlabelled) data.")
    method = cfg.method
    positional, options = plugin_options(
        args, strategy_fields(method), f"method {method!r}", f"transferkit strategies {method}"
    )
    if positional:
        raise ConfigError(f"Unexpected argument {positional[0]!r}; give data with --source.")
    run_args = {k: v for k, v in cfg.to_dict().items() if k not in ("source", "target", "method")}
    result = run(
        cfg.source,
        cfg.target,
        method=method,
        progress=progress(),
        **run_args,
        **given(values, DataConfig.field_names()),
        **options,
    )
    fit, gaps = result.fit, result.adaptation
    target = result.target_metrics
    if target is not None:
        out.print(split_line(f"{method}, target", target))
        if gaps.baseline_metrics is not None:
            out.print(split_line("source-only, target", gaps.baseline_metrics))
        verdict = (
            adaptation_verdict(method, gaps.difference)
            if gaps.baseline_metrics is not None
            else accuracy_verdict(target, "target")
        )
        out.print(f"[{COLOURS[verdict.level]}]{escape(verdict.sentence)}[/]")
    out.print(f"{method}: source {fit.held_out} accuracy {fit.accuracy:.3f}")
    out.print(
        f"Domain gap (proxy A-distance): {gaps.gap_before:.3f} with the pretrained "
        f"features, {gaps.gap_after:.3f} after adaptation."
    )
    out.print(f"Time: {fit.metrics.cost.seconds:.1f} s.")
    if result.out:
        out.print(f"Report: {escape(str(result.out / 'report.html'))}", soft_wrap=True)
        out.print(f"Model saved to [bold]{escape(str(result.out))}[/bold]", soft_wrap=True)
