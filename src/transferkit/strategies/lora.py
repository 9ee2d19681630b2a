"""LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022)
through Hugging Face PEFT: the pretrained weights stay frozen and each adapted layer
learns a low-rank update ``W + (alpha / r) B A``; the new head trains in full.

Where adapters go (``layers``): on a transformer, by default, the attention blocks' query
and value projections, as in the paper; on a network without attention (MobileNetV2),
every linear layer and every convolution PEFT supports (not depthwise ones); ``all`` puts
them on every such layer of a transformer too. Measured on all-MiniLM-L6-v2, SST-2, 2,000
sentences (``benchmarks/lora_vs_finetune.py``): adapters on all 36 linear layers kept more
activations than full fine-tuning keeps (each adapter saves its input, its dropout mask and
its low-rank product for the backward pass, and the frozen path still saves what the input
gradient needs), so training added 876 MB against fine-tuning's 681; query and value only
added 636 MB at the same validation accuracy, and trained faster than fine-tuning.
``checkpointing`` recomputes each block in the backward pass instead of keeping its
activations: less memory again, for more time. The saved
model holds the adapters and the head next to the frozen weights, and reloads to the same
predictions; ``merge=true`` folds the adapters into the weights after training, leaving a
plain network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.config import option
from transferkit.data.dataset import Splits
from transferkit.errors import IncompatibleError
from transferkit.models.classifier import Classifier
from transferkit.models.record import ModelRecord
from transferkit.strategies.base import FitContext, Strategy, StrategyResult, register_strategy
from transferkit.strategies.finetune import FinetuneConfig, run_training, training_notes
from transferkit.strategies.prompt import check_label_scoring, label_words_head


@dataclass
class LoraConfig(FinetuneConfig):
    lr: float | None = option(1e-3, "Learning rate of the adapters.", min=0)
    rank: int = option(8, "Rank r of each low-rank update.", min=1, max=1024)
    alpha: float = option(16.0, "Scale: updates are multiplied by alpha / rank.", min=0)
    dropout: float = option(
        0.0,
        "Dropout on the adapters' inputs (each adapter then keeps its own masked copy of its "
        "input for the backward pass).",
        min=0,
        max=0.9,
    )
    merge: bool = option(False, "Fold the adapters into the weights after training.")
    layers: str = option(
        "auto",
        "'attention': adapters on the attention blocks' query and value projections (Hu et "
        "al.); 'all': on every linear and (non-depthwise) convolution layer; 'auto': "
        "'attention' where the backbone has attention, else 'all'.",
        choices=("auto", "attention", "all"),
    )
    checkpointing: bool = option(
        False,
        "Recompute each block's activations in the backward pass instead of keeping them "
        "(text encoders): less memory, more time.",
    )
    head: str = option(
        "new",
        "'new': a new linear head on the pooled features; 'label-words' (generative "
        "language models): start from the model's own scores of the label words and train "
        "it to write the labels (classification as generation).",
        choices=("new", "label-words"),
    )


#: The last part of the name of an attention block's query and value projections, in the
#: architectures Hugging Face ships (BERT's query/value, Llama's q_proj/v_proj, ...), and
#: a fused query-key-value projection (Whisper's here, ViT's in timm).
ATTENTION_PROJECTIONS = ("query", "value", "q_proj", "v_proj", "q_lin", "v_lin", "qkv")


def lora_targets(backbone: Backbone, layers: str = "auto") -> list[str]:
    """Names (relative to the backbone) of the layers that get adapters."""
    names = []
    for name, module in backbone.named_modules():
        if name.startswith("source_head") or name == "":
            continue
        if isinstance(module, nn.Linear) or (isinstance(module, nn.Conv2d) and module.groups == 1):
            names.append(name)
    if layers in ("attention", "auto"):
        projections = [n for n in names if n.rsplit(".", 1)[-1] in ATTENTION_PROJECTIONS]
        if projections or layers == "attention":
            return projections
    return names


def inject_lora(backbone: Backbone, cfg: LoraConfig, targets: list[str]) -> Any:
    """Insert adapters in place; every other backbone weight stops training."""
    from peft import LoraConfig as PeftLoraConfig
    from peft.tuners.lora import LoraModel

    peft_config = PeftLoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=targets,
        bias="none",
    )
    return LoraModel(backbone, peft_config, adapter_name="default")


@register_strategy("lora")
class Lora(Strategy[LoraConfig]):
    summary = "low-rank adapters (PEFT) on linear and conv layers, frozen weights, new head"
    Config = LoraConfig

    def check(self, backbone: Backbone, splits: Splits) -> None:
        if self.config.head == "label-words":
            check_label_scoring(backbone, "lora with head=label-words")
        if self.config.layers == "attention" and not lora_targets(backbone, "attention"):
            raise IncompatibleError(
                f"{backbone.source} has no attention query and value projections for LoRA "
                "adapters; use layers=all."
            )
        if not lora_targets(backbone, "all"):
            raise IncompatibleError(
                f"{backbone.source} has no linear or (non-depthwise) convolution layer for LoRA "
                "adapters; use finetune or partial."
            )

    def fit(self, model: Classifier, ctx: FitContext) -> StrategyResult:
        cfg = self.config
        targets = lora_targets(model.backbone, cfg.layers)
        if cfg.head == "label-words":
            device = next(model.head.parameters()).device
            model.head = label_words_head(model.backbone, model.classes).to(device)
        if cfg.checkpointing:
            model.backbone.use_checkpointing()
        tuner = inject_lora(model.backbone, cfg, targets)
        adapters = model.trainable_parameters() - sum(p.numel() for p in model.head.parameters())
        history, _ = run_training(model, ctx, cfg)
        notes = [
            f"LoRA rank {cfg.rank} on {len(targets)} layers: {adapters:,} adapter parameters",
            *training_notes(model, history, cfg),
        ]
        if cfg.merge:
            tuner.merge_and_unload()
            notes.append("adapters merged into the weights")
        details = {"lora_targets": targets, "adapter_parameters": adapters, "merged": cfg.merge}
        return StrategyResult(history, notes, details)

    @classmethod
    def rebuild(cls, model: Classifier, record: ModelRecord) -> None:
        cfg = LoraConfig.from_dict(record.strategy.config)
        if not cfg.merge:
            inject_lora(model.backbone, cfg, record.strategy.details["lora_targets"])
