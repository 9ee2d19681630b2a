"""``transferkit generate``: a model directory of ``fit --task generate`` answers prompts."""

from __future__ import annotations

from pathlib import Path

import click

from transferkit.cli.console import out


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
    """Write the model's answer to each of PROMPTS (a .txt file: one prompt a line)."""
    from rich.markup import escape

    from transferkit.generation.generator import Generator

    asked: list[str] = []
    for p in prompts:
        path = Path(p)
        if path.suffix == ".txt" and path.is_file():
            asked += [line.strip() for line in path.read_text().splitlines() if line.strip()]
        else:
            asked.append(p)
    generator = Generator.load(model_dir, base=base)
    for prompt, answer in zip(asked, generator.generate(asked, max_new_tokens), strict=True):
        out.print(f"[bold]{escape(prompt)}[/bold]\n{escape(answer)}\n", soft_wrap=True)
