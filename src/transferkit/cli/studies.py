"""``transferkit compare`` and ``transferkit explore``."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from transferkit.errors import ConfigError

console = Console()


def _options(pairs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
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


@click.command()
@click.argument("data")
@click.option(
    "--model", "-m", help="Backbone (default: mobilenet_v2 for images, all-MiniLM-L6-v2 for text)."
)
@click.option(
    "--strategies",
    default="linear-probe,finetune,scratch",
    show_default=True,
    help="Comma-separated strategies; include scratch for the verdict on transfer.",
)
@click.option(
    "--sizes",
    default="4,16,64,all",
    show_default=True,
    help="Training examples per class, comma-separated; 'all' uses everything.",
)
@click.option("--seeds", type=int, default=3, show_default=True, help="Seeds per cell.")
@click.option("--test-split", help="Split every run is measured on (default: test).")
@click.option("--out", "-o", help="Folder for results.json, report.html and report.md.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option(
    "--no-ci", "no_ci", is_flag=True, help="Allow a single seed (no intervals, no verdict)."
)
@click.option(
    "--option",
    "option_pairs",
    multiple=True,
    metavar="STRATEGY.NAME=VALUE",
    help="A strategy option, e.g. finetune.epochs=5 (repeatable).",
)
def compare(
    data: str,
    model: str | None,
    strategies: str,
    sizes: str,
    seeds: int,
    test_split: str | None,
    out: str | None,
    overwrite: bool,
    no_ci: bool,
    option_pairs: tuple[str, ...],
) -> None:
    """Compare strategies across training-set sizes and seeds on DATA's test split, and say
    whether transfer beats training from scratch."""
    from transferkit.cli.main import _progress
    from transferkit.compare import compare as run

    data_options = {"test_split": test_split} if test_split else {}
    result = run(
        data,
        model,
        [s.strip() for s in strategies.split(",") if s.strip()],
        [s.strip() for s in sizes.split(",") if s.strip()],
        seeds,
        out=out,
        overwrite=overwrite,
        ci=not no_ci,
        options=_options(option_pairs),
        progress=_progress(),
        **data_options,
    )
    table = Table(title=f"Test accuracy on {result.test_origin}", title_justify="left")
    for col in ("strategy", "per class", "mean", "95% CI", "per seed", "s / run"):
        table.add_column(col)
    for c in result.cells:
        ci = f"[{c.low:.3f}, {c.high:.3f}]" if c.low == c.low else "-"
        table.add_row(
            c.strategy,
            c.size,
            f"{c.mean:.3f}",
            ci,
            " ".join(f"{a:.3f}" for a in c.accuracies),
            f"{sum(c.seconds) / len(c.seconds):.0f}",
        )
    console.print(table)
    for v in result.verdicts:
        console.print(("[green]" if v.kind == "gain" else "[yellow]") + v.sentence)
    for note in result.notes:
        console.print(note)
    if result.out:
        console.print(f"Report: {result.out / 'report.html'}")


@click.command()
@click.argument("data")
@click.option(
    "--model", "-m", help="Backbone (default: mobilenet_v2 for images, all-MiniLM-L6-v2 for text)."
)
@click.option("--second", help="A second data set: how separable are the two domains?")
@click.option("--out", "-o", help="Folder for results.json, report.html and report.md.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--seed", type=int, default=0, show_default=True)
def explore(
    data: str, model: str | None, second: str | None, out: str | None, overwrite: bool, seed: int
) -> None:
    """Look at DATA through a pretrained model's eyes: embedding map, clusters against
    labels, nearest-neighbour accuracy, and domain separability from --second."""
    from transferkit.cli.main import _progress
    from transferkit.explore import explore as run

    result = run(
        data, model, second=second, out=out, overwrite=overwrite, seed=seed, progress=_progress()
    )
    console.print(f"{result.n} examples, {len(result.classes)} classes; map by {result.method}.")
    console.print(f"Nearest-neighbour accuracy (5-NN, cross-validated): {result.knn_accuracy:.3f}")
    console.print(
        f"k-means clusters against labels (adjusted Rand index): {result.cluster_ari:.3f}"
    )
    if result.domain_distance is not None:
        console.print(
            f"Domain separability (proxy A-distance, 0 = same, 2 = disjoint): "
            f"{result.domain_distance:.3f}"
        )
    if result.out:
        console.print(f"Report: {result.out / 'report.html'}")


@click.command()
@click.option(
    "--source", required=True, help="Labelled source data (a folder of class folders or a table)."
)
@click.option(
    "--target",
    required=True,
    help="Target-domain data; its labels, if any, are not used for training.",
)
@click.option(
    "--model", "-m", help="Backbone (default: mobilenet_v2 for images, all-MiniLM-L6-v2 for text)."
)
@click.option(
    "--method",
    default="dann",
    show_default=True,
    help="source-only, adabn, coral, dann or mcc (`transferkit strategies dann`).",
)
@click.option(
    "--target-labels",
    "target_labels",
    is_flag=False,
    flag_value="TARGET",
    default=None,
    help="Evaluate on target labels after training: the target's own (flag alone) or PATH.",
)
@click.option(
    "--mode",
    type=click.Choice(["frozen", "finetune"]),
    help="Adapt cached features "
    "through a bottleneck (frozen, default) or the whole backbone (finetune).",
)
@click.option("--epochs", type=int, help="Maximum epochs.")
@click.option("--weight", type=float, help="Weight of the adaptation loss.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "-o", help="Model directory to write.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def adapt(
    source: str,
    target: str,
    model: str | None,
    method: str,
    target_labels: str | None,
    mode: str | None,
    epochs: int | None,
    weight: float | None,
    seed: int,
    out: str | None,
    overwrite: bool,
) -> None:
    """Adapt a pretrained model to an unlabelled target domain using labelled source data."""
    from transferkit.adapt import adapt as run
    from transferkit.cli.main import _progress

    options = {
        k: v for k, v in {"mode": mode, "epochs": epochs, "weight": weight}.items() if v is not None
    }
    labels: Any = True if target_labels == "TARGET" else (target_labels or False)
    result = run(
        source,
        target,
        model,
        method,
        target_labels=labels,
        out=out,
        overwrite=overwrite,
        seed=seed,
        progress=_progress(),
        **options,
    )
    m = result.fit.metrics
    console.print(f"{method}: source {result.fit.held_out} accuracy {result.fit.accuracy:.3f}")
    if result.target_metrics is not None:
        console.print(
            f"[bold]target accuracy {result.target_metrics['accuracy']:.3f}[/bold] "
            f"({result.target_metrics['n']} examples)"
        )
    console.print(
        f"Domain gap (proxy A-distance): {result.gap_before:.3f} with the pretrained "
        f"features, {result.gap_after:.3f} after adaptation."
    )
    console.print(f"Time: {m['seconds']:.1f} s.")
    if result.out:
        console.print(
            f"Report: {result.out / 'report.html'}\nModel saved to [bold]{result.out}[/bold]"
        )
