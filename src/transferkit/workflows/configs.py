"""The options of each workflow, as configs: the Python functions take them as keyword
arguments and the command line is generated from them (with ``DataConfig`` and the
options of the strategies a command runs)."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import Config, option

ENGINES = ("auto", "torch", "onnx")  # as features/onnx_engine.py; read without torch

_MODEL = (
    "Backbone: a name from `transferkit models`, torchvision:NAME, timm:NAME, hf:ID or a "
    "local model folder (default: mobilenet_v2 for images, all-MiniLM-L6-v2 for text)."
)


@dataclass
class Output(Config):
    """Where results go; shared by every workflow that writes."""

    describe = "option"
    out: str | None = option(
        None, "Directory to write (model, results, reports).", flags=("-o", "--output")
    )
    overwrite: bool = option(False, "Replace --out if it exists.")
    cache: bool = option(True, "Cache frozen features on disk.")
    engine: str = option(
        "auto",
        "What computes frozen features: 'onnx' (ONNX Runtime, faster on a CPU), 'torch', or "
        "'auto' (ONNX when installed and there are enough inputs to repay exporting).",
        choices=ENGINES,
    )


@dataclass
class FitRun(Output):
    describe = "fit option"
    model: str | None = option(None, _MODEL, flags=("-m",))
    strategy: str = option(
        "linear-probe",
        "How to adapt it: a name from `transferkit strategies`.",
        flags=("-s",),
    )
    target: str | None = option(
        None,
        "Unlabelled data of the target domain, for the domain-adaptation strategies; its "
        "labels are never read.",
    )
    weights: str | None = option(
        None, "Local weights file (.safetensors or .pth) for the backbone."
    )
    seed: int = option(0, "Seed for splits, initialisation and data order.")
    resume: bool = option(
        True, "After a crash or kill, the same command resumes from its last finished epoch."
    )
    task: str = option(
        "classify",
        "'generate': an LLM learns to write the label column from the text.",
        choices=("classify", "generate"),
    )


@dataclass
class CompareRun(Output):
    describe = "compare option"
    model: str | None = option(None, _MODEL, flags=("-m",))
    strategies: list[str] = option(  # noqa: RUF009 - a dataclass field with help text
        default_factory=lambda: ["linear-probe", "finetune", "scratch"],
        help="Strategies to compare; include scratch for the verdict on transfer.",
    )
    sizes: list[str] = option(  # noqa: RUF009
        default_factory=lambda: ["4", "16", "64", "all"],
        help="Training examples per class; 'all' uses every one.",
    )
    seeds: int = option(3, "Seeds per strategy and size.", min=1)
    ci: bool = option(True, "Report confidence intervals and a verdict (needs 2 seeds or more).")
    scratch_model: str | None = option(
        None,
        "Architecture the scratch baseline trains (default: --model's own), e.g. audio-cnn, "
        "or mfcc for hand-made features: the no-transfer side of the verdict.",
    )


@dataclass
class ExploreRun(Output):
    describe = "explore option"
    model: str | None = option(None, _MODEL, flags=("-m",))
    second: str | None = option(None, "A second data set: how separable are the two domains?")
    clusters: int | None = option(
        None,
        "Number of k-means clusters K (below the number of examples). Default: the number "
        "of classes when the data has labels, so the adjusted Rand index compares like with "
        "like; without labels, the K in 2..10 with the best silhouette score.",
        min=2,
    )
    labels: bool = option(
        True,
        "Use the data's labels when it has any (class folders, a label column); "
        "--no-labels explores the inputs alone, as if it had none.",
    )
    seed: int = option(0, "Seed for the map, the clusters and the cross-validation.")


@dataclass
class AdaptRun(Output):
    describe = "adapt option"
    source: str | None = option(
        None, "Labelled source data (a folder of class folders or a table)."
    )
    target: str | None = option(
        None, "Target-domain data; its labels, if any, are not used for training."
    )
    model: str | None = option(None, _MODEL, flags=("-m",))
    method: str = option("dann", "Domain-adaptation method (`transferkit strategies` lists them).")
    target_labels: bool | str = option(
        False,
        "After training, measure accuracy on target labels: the target's own (flag alone) "
        "or those of PATH.",
        flag_value="true",
    )
    seed: int = option(0, "Seed for splits, initialisation and data order.")


@dataclass
class RankRun(Config):
    describe = "rank option"
    models: str | None = option(
        None,
        "Backbones to compare, comma-separated (names from `transferkit models`, "
        "torchvision:NAME, timm:NAME, hf:ID); default: every installed backbone of the data's "
        "modality.",
        flags=("-m",),
    )
    seed: int = option(0, "Seed for sampling and resampling.")
    cache: bool = option(True, "Cache frozen features on disk.")
    engine: str = option(
        "auto", "What computes frozen features (as for fit --engine).", choices=ENGINES
    )


@dataclass
class PredictRun(Config):
    describe = "predict option"
    format: str = option("table", "How to print the predictions.", choices=("table", "json", "csv"))
    out: str | None = option(
        None, "Write the predictions to this file instead of the screen.", flags=("-o", "--output")
    )
    overwrite: bool = option(False, "Replace --out if it exists.")
    text_column: str | None = option(
        None, "Column of a table holding the texts (detected when unambiguous)."
    )
    task: str | None = option(
        None, "Task to predict, for a model with several (default: the first)."
    )
    base: str | None = option(
        None, "A generator's base model, when its adapters were trained on one given by path."
    )


@dataclass
class EvaluateRun(Config):
    describe = "evaluate option"
    split: str | None = option(
        None, "Which split of DATA to use when it holds several (default: test)."
    )
    format: str = option("table", "How to print the metrics.", choices=("table", "json"))
    label_map: list[str] | None = option(  # noqa: RUF009 - a dataclass field with help text
        None,
        "Read DATA's labels as the model's classes, e.g. negative=0,positive=1 (data of "
        "another source with the same classes under other names).",
    )
