"""``transferkit export``: a model directory as one ONNX graph that runs without PyTorch."""

from __future__ import annotations

import click

from transferkit.cli.console import err, escape


@click.command()
@click.argument("model_dir")
@click.option("--format", "format_", default="onnx", show_default=True, help="Export format.")
@click.option("-o", "--out", "--output", required=True, help="Directory to write the export to.")
@click.option(
    "--quantize",
    type=click.Choice(["int8"]),
    default=None,
    help="Store matrix weights as int8 (ONNX Runtime dynamic quantisation): smaller, and "
    "faster for text models; measure its accuracy before you rely on it.",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if transferkit wrote it.")
def export(model_dir: str, format_: str, out: str, quantize: str | None, overwrite: bool) -> None:
    """Export MODEL_DIR (backbone, head and temperature) as one ONNX graph, with what its
    inputs need; `transferkit.load(OUT)` or `transferkit.exported.reader` predicts with it
    using ONNX Runtime, numpy, Pillow and tokenizers only."""
    from transferkit.workflows.export import export as run_export

    result = run_export(model_dir, out, format=format_, quantize=quantize, overwrite=overwrite)
    size = result.bytes / 1e6
    err.print(
        f"Exported {escape(str(model_dir))} to {escape(str(result.out))} "
        f"({result.modality}, {len(result.classes)} classes, graph {size:.1f} MB"
        + (f", {result.quantize})" if result.quantize else ")")
    )
