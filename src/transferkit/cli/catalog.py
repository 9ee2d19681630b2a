"""``transferkit models``, ``strategies`` and ``scores``: what is registered (plug-ins
included) and, for a strategy, its options."""

from __future__ import annotations

import click

from transferkit.cli.console import out
from transferkit.cli.options import help_text, is_flag, option_name

GENERATE = "generate"
GENERATE_SUMMARY = (
    "a generative LLM learns to write the responses of prompt and response pairs (LoRA), "
    "beside its own zero- and k-shot answers"
)


@click.command()
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


@click.command()
@click.argument("name", required=False)
def strategies(name: str | None) -> None:
    """List strategies, or show the options of one (give them to fit as --name VALUE)."""
    from rich.table import Table

    from transferkit.strategies import STRATEGIES

    if name is None:
        table = Table(
            title="Strategies (`transferkit strategies NAME` shows options)", title_justify="left"
        )
        table.add_column("name")
        table.add_column("what it does")
        for e in STRATEGIES:
            where = " [dim](domain adaptation: --target)[/dim]" if e.obj.needs_target else ""
            table.add_row(e.name, e.obj.summary + where)
        table.add_row(GENERATE, f"{GENERATE_SUMMARY} [dim](fit --task generate)[/dim]")
        out.print(table)
        return
    if name == GENERATE:
        from transferkit.generation.config import TuneConfig

        title, config = f"{GENERATE} (fit --task generate): {GENERATE_SUMMARY}", TuneConfig
    else:
        cls = STRATEGIES.get(name)
        title, config = f"{name}: {cls.summary}", cls.Config
    table = Table(title=title, title_justify="left")
    for col in ("option", "type", "meaning"):
        table.add_column(col)
    for f in config.fields():
        name = option_name(f.name)
        flag = f"{name} / --no-{f.name.replace('_', '-')}" if is_flag(f) else name
        table.add_row(flag, "yes/no" if is_flag(f) else f.type_name, help_text(f))
    out.print(table)


@click.command()
def scores() -> None:
    """List the transferability scores that `transferkit rank` computes."""
    from rich.table import Table

    from transferkit.scores import list_scores

    table = Table(title="Transferability scores", title_justify="left")
    for col in ("name", "computed from", "what it is"):
        table.add_column(col)
    for spec in list_scores():
        source = "features" if spec.needs == "features" else "source-head predictions"
        table.add_row(spec.name, source, spec.description)
    out.print(table)
