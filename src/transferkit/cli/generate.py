"""``transferkit generate``: a model directory of ``fit --task generate`` answers prompts."""

from __future__ import annotations

from pathlib import Path

import click

from transferkit.cli.console import out
from transferkit.errors import DataError


@click.command()
@click.argument("model_dir")
@click.argument("prompts", nargs=-1, required=True)
@click.option(
    "--base",
    default=None,
    help="The base model, when the adapters were trained on one given by path.",
)
@click.option(
    "--max-new-tokens", type=click.IntRange(min=1), default=None,
    help="Most tokens written per answer (default: as trained).",
)  # fmt: skip
def generate(
    model_dir: str, prompts: tuple[str, ...], base: str | None, max_new_tokens: int | None
) -> None:
    """Write the model's answer to each of PROMPTS: texts, or files of them (a .txt file:
    one prompt a line; a CSV/TSV/JSONL table: its text column)."""
    from transferkit.cli.output import format_generations
    from transferkit.generation.generator import Generator

    asked = read_prompts(prompts)
    generator = Generator.load(model_dir, base=base)
    answers = generator.generate(asked, max_new_tokens)
    out.print(format_generations(asked, answers, "table"), soft_wrap=True)


def read_prompts(inputs: tuple[str, ...], text_column: str | None = None) -> list[str]:
    """The prompts a user gave: each word that is not a file is a prompt; a file holds
    prompts (a plain-text file one a line; a table the texts of ``text_column``)."""
    from transferkit.data.load import read_inputs

    asked: list[str] = []
    for given in inputs:
        if Path(given).expanduser().exists():
            asked += [str(t) for t in read_inputs(given, "text", text_column).inputs]
        elif given.strip():
            asked.append(given)
    if not asked:
        raise DataError("No prompts given; give a prompt, or a file of them.")
    return asked


def predict_generations(
    model_dir: str,
    inputs: tuple[str, ...],
    fmt: str,
    text_column: str | None,
    markup: bool,
    base: str | None = None,
) -> str:
    """``predict`` on a generator directory: the answers, rendered as ``fmt``."""
    from transferkit.cli.output import format_generations
    from transferkit.generation.generator import Generator

    asked = read_prompts(inputs, text_column)
    answers = Generator.load(model_dir, base=base).generate(asked)
    return format_generations(asked, answers, fmt, markup)
