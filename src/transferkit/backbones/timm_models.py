"""Any timm model as ``timm:NAME`` (``timm:convnext_tiny``, ``timm:vit_small_patch16_224``).

timm models answer the same questions whatever their family (``forward_features``,
``forward_head(pre_logits=True)``, ``get_classifier``, a ``pretrained_cfg`` with input size,
mean and std), which this wrapper relies on. Their blocks are timm's own coarse parameter
groups (``group_matcher(coarse=True)``, the groups timm's layer-wise decay uses), or the
stages ``feature_info`` lists for the few models without a matcher.

Families whose ``forward_features`` is known call by call (ViT, stem + stages as in
ConvNeXt, EfficientNet and MobileNet) also run block by block, once a check at build time
has found that pass equal to timm's own (``staged``). The others still freeze, decay and
unfreeze by block, but only run whole.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import torch
from torch import nn

from transferkit.backbones.base import Backbone
from transferkit.backbones.preprocessing import ImagePreprocessing
from transferkit.backbones.registry import register_source
from transferkit.backbones.weights import host_reachable, load_state_dict
from transferkit.errors import IncompatibleError, UnknownNameError, WeightsUnavailableError

# Which group each parameter belongs to: an index into the blocks, or None for the
# classifier head, which belongs to none.
Owners = dict[str, int | None]


@dataclass(frozen=True)
class _Step:
    """One call of a known ``forward_features``: ``call`` is the path of a submodule or a
    method of the model, ``uses`` the parameters and modules that call runs."""

    call: str
    uses: tuple[str, ...]

    def run(self, model: nn.Module, state: Any) -> Any:
        return _resolve(model, self.call)(state)


@dataclass(frozen=True)
class _Group:
    """A block by name, turned into modules on each ``blocks()`` (adapters such as LoRA may
    have replaced layers since): whole submodules, the bare parameters of modules split
    across groups (ViT's ``cls_token``), and the steps that run it when staged."""

    modules: tuple[str, ...]
    params: tuple[str, ...]
    steps: tuple[_Step, ...]


class _Block(nn.Module):
    """The weights of one group, so that ``requires_grad_``, ``eval`` and ``parameters``
    reach exactly them; the backbone's ``run_block`` runs it."""

    def __init__(self, modules: list[nn.Module], params: list[nn.Parameter]) -> None:
        super().__init__()
        self.parts = nn.ModuleList(modules)
        self.loose = nn.ParameterList(params)


class TimmBackbone(Backbone):
    modality = "image"

    def __init__(self, model: nn.Module, source: str) -> None:
        super().__init__()
        self.source = source
        self.model = model
        self.num_features = int(getattr(model, "head_hidden_size", None) or model.num_features)
        self.preprocessing = preprocessing_from_timm(model)
        head = model.get_classifier()
        if isinstance(head, nn.Linear) and head.out_features > 0:
            for p in head.parameters():
                p.requires_grad_(False)
            # already registered inside self.model: keep it out of the module tree
            object.__setattr__(self, "source_head", head)
            self.source_classes = _imagenet_classes(head.out_features)
        # plain data, not modules: the backbone's state dict keys stay timm's
        self._groups = _timm_groups(model)
        self.staged = any(g.steps for g in self._groups) and _staged_matches(model, self._groups)

    def blocks(self) -> list[nn.Module]:
        # built on each call: adapters (LoRA) may replace the layers the blocks hold
        return [
            _Block(
                [self.model.get_submodule(m) for m in g.modules],
                [self.model.get_parameter(p) for p in g.params],
            )
            for g in self._groups
        ]

    def start(self, batch: torch.Tensor) -> torch.Tensor:
        return self._layout(batch)

    def run_block(self, index: int, state: Any) -> Any:
        if not self.staged:
            raise IncompatibleError(
                f"{self.source} runs only whole: its blocks group the weights for freezing, "
                f"learning-rate decay and unfreezing, but timm's {type(self.model).__name__} "
                "cannot be run block by block to keep a frozen prefix's outputs; use partial "
                "with cache_prefix=false, gradual or finetune."
            )
        return _run(self.model, self._groups[index].steps, state)

    def run_blocks(self, state: Any, first: int, stop: int) -> Any:
        if (first, stop) == (0, len(self._groups)):
            return self.model.forward_features(state)  # the whole pass is timm's own
        return super().run_blocks(state, first, stop)

    def finish(self, state: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(state, pre_logits=True)


def _imagenet_classes(n: int) -> list[str] | None:
    if n != 1000:
        return None
    try:
        from timm.data import ImageNetInfo

        return list(ImageNetInfo().label_descriptions())
    except Exception:  # class names are a nicety for reports, never required
        return None


def _resolve(model: nn.Module, path: str) -> Any:
    return reduce(getattr, path.split("."), model)


def _run(model: nn.Module, steps: tuple[_Step, ...], state: Any) -> Any:
    for step in steps:
        state = step.run(model, state)
    return state


def _timm_groups(model: nn.Module) -> list[_Group]:
    """The blocks of a timm model, input side first: every parameter but the classifier
    head's in exactly one, with the steps that run each block if the family is known."""
    heads = model.get_classifier()  # a tuple for distilled models (DeiT's two heads)
    heads = heads if isinstance(heads, tuple) else (heads,)
    head_ids = {id(p) for h in heads for p in h.parameters()}
    owners: Owners = {n: None for n, p in model.named_parameters() if id(p) in head_ids}
    for i, group in enumerate(g for g in _param_groups(model, set(owners)) if g):
        owners.update(dict.fromkeys(group, i))
    n = max((g for g in owners.values() if g is not None), default=-1) + 1
    # every path to a parameter, also through a module registered twice (CoaT's cpe1 is
    # also serial_blocks1.0.cpe), so that the second path cannot hold it in another block
    first = {id(p): name for name, p in model.named_parameters()}
    aliases = {
        name: owners[first[id(p)]] for name, p in model.named_parameters(remove_duplicate=False)
    }
    modules, params = _holders(owners, aliases, n)
    known = _family_steps(model)
    steps = _assign(known, owners, n) if known and n else None
    steps = steps or [[] for _ in range(n)]
    return [
        _Group(
            tuple(modules[i] + _parameter_free(model, steps[i], owners)),
            tuple(params[i]),
            tuple(steps[i]),
        )
        for i in range(n)
    ]


def _param_groups(model: nn.Module, exclude: set[str]) -> list[list[str]]:
    """timm's coarse groups of the parameters not excluded, input side first."""
    from timm.models import group_parameters

    try:
        matcher = model.group_matcher(coarse=True)
    except (AttributeError, NotImplementedError, AssertionError):
        # the few families without a matcher, or without a coarse one (RDNet asserts)
        names = [n for n, _ in model.named_parameters() if n not in exclude]
        return _feature_info_groups(model, names)
    grouped = group_parameters(model, matcher)
    return [[n for n in grouped[i] if n not in exclude] for i in sorted(grouped)]


def _feature_info_groups(model: nn.Module, names: list[str]) -> list[list[str]]:
    """Groups that end at each module ``feature_info`` lists: parameters registered before a
    feature module go with it, those after the last one (a head's norm) form a final group."""
    cuts = [info["module"] for info in getattr(model, "feature_info", None) or []]
    groups: list[list[str]] = [[] for _ in range(len(cuts) + 1)]
    pending: list[str] = []
    for name in names:
        pending.append(name)
        hit = next((i for i, cut in enumerate(cuts) if _under(name, (cut,))), None)
        if hit is not None:
            groups[hit] += pending
            pending = []
    groups[-1] += pending
    return groups


def _holders(owners: Owners, aliases: Owners, n: int) -> tuple[list[list[str]], list[list[str]]]:
    """Per group, the outermost submodules whose parameters (under any of their names) all
    belong to it, and the parameters left over (held directly by a split module)."""
    groups_of: dict[str, set[int | None]] = defaultdict(set)
    for name, group in aliases.items():
        parts = name.split(".")
        for i in range(1, len(parts)):
            groups_of[".".join(parts[:i])].add(group)
    pure = {path: groups.pop() for path, groups in groups_of.items() if len(groups) == 1}
    modules: list[list[str]] = [[] for _ in range(n)]
    params: list[list[str]] = [[] for _ in range(n)]
    for path, group in pure.items():
        if group is not None and path.rpartition(".")[0] not in pure:
            modules[group].append(path)
    for name, group in owners.items():
        if group is not None and name.rpartition(".")[0] not in pure:
            params[group].append(name)
    return modules, params


def _family_steps(model: nn.Module) -> list[_Step] | None:
    """``forward_features`` call by call, for the families whose layout is known."""
    blocks, stages = _children(model, "blocks"), _children(model, "stages")
    if blocks and all(
        hasattr(model, a) for a in ("patch_embed", "_pos_embed", "patch_drop", "norm_pre", "norm")
    ):  # ViT
        tokens = tuple(n for n, _ in model.named_parameters(recurse=False))
        return [
            *_calls("patch_embed"),
            _Step("_pos_embed", (*tokens, "pos_drop")),  # class and register tokens, positions
            *_calls("patch_drop", "norm_pre", *blocks, "norm"),
        ]
    if blocks and hasattr(model, "conv_stem") and hasattr(model, "bn1"):
        # EfficientNet's head convolution is part of its features; MobileNetV3's (which
        # has no bn2) runs after the pooling, in forward_head
        tail = ("conv_head", "bn2") if hasattr(model, "bn2") else ()
        return _calls("conv_stem", "bn1", *blocks, *tail)
    if stages and hasattr(model, "stem"):  # ConvNeXt and other stem + stages models
        return _calls("stem", *stages, *(("norm_pre",) if hasattr(model, "norm_pre") else ()))
    return None


def _children(model: nn.Module, name: str) -> list[str] | None:
    """The paths ``name.0``, ``name.1``, ... of a sequence of modules the model runs in turn."""
    seq = getattr(model, name, None)
    if not isinstance(seq, nn.Sequential | nn.ModuleList):
        return None
    return [f"{name}.{child}" for child, _ in seq.named_children()]


def _calls(*paths: str) -> list[_Step]:
    return [_Step(path, (path,)) for path in paths]


def _under(name: str, paths: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in paths)


def _assign(steps: list[_Step], owners: Owners, n: int) -> list[list[_Step]] | None:
    """The steps of each group, or None when they do not run the groups one after the
    other (a call using two groups, or going back to an earlier one, or skipping one)."""
    per_group: list[list[_Step]] = [[] for _ in range(n)]
    current = 0
    for step in steps:
        used = {group for name, group in owners.items() if _under(name, step.uses)}
        group = next(iter(used), current)  # a call without weights stays in the group before
        if None in used or len(used) > 1 or group < current:
            return None
        current = group
        per_group[current].append(step)
    ran = [i for i, s in enumerate(per_group) if s]
    # groups after the last call hold weights that forward_head uses (ConvNeXt's head norm)
    return per_group if ran == list(range(len(ran))) else None


def _parameter_free(model: nn.Module, steps: list[_Step], owners: Owners) -> list[str]:
    """Modules without weights that the steps run (dropout), so that ``eval()`` on the
    block reaches them too."""
    return [
        use
        for step in steps
        for use in step.uses
        if _module_at(model, use) is not None and not any(_under(p, (use,)) for p in owners)
    ]


def _module_at(model: nn.Module, path: str) -> nn.Module | None:
    try:
        return model.get_submodule(path)
    except AttributeError:  # a parameter (cls_token), or a token the model does not have
        return None


@torch.no_grad()
def _staged_matches(model: nn.Module, groups: list[_Group]) -> bool:
    """Whether the blocks run one by one give timm's own features, on one random image at
    the model's input size, in eval mode (a private generator leaves the global seed be)."""
    from timm.data import resolve_data_config

    size = resolve_data_config({}, model=model)["input_size"]
    image = torch.randn((1, *size), generator=torch.Generator().manual_seed(0))
    training = model.training
    model.eval()
    try:
        expected = model.forward_head(model.forward_features(image), pre_logits=True)
        state = reduce(lambda s, g: _run(model, g.steps, s), groups, image)
        got = model.forward_head(state, pre_logits=True)
    except Exception:  # a variant whose calls take other inputs (EVA's rotary embeddings)
        return False
    finally:
        model.train(training)
    return got.shape == expected.shape and torch.allclose(got, expected, rtol=1e-5, atol=1e-6)


def preprocessing_from_timm(model: nn.Module) -> ImagePreprocessing:
    from timm.data import resolve_data_config

    cfg = resolve_data_config({}, model=model)
    size = int(cfg["input_size"][-1])
    return ImagePreprocessing(
        size=size,
        resize=math.floor(size / cfg["crop_pct"]),
        mean=tuple(float(m) for m in cfg["mean"]),
        std=tuple(float(s) for s in cfg["std"]),
        interpolation=cfg["interpolation"] if cfg["interpolation"] != "random" else "bilinear",
    )


def from_timm_model(model: nn.Module, source: str) -> Backbone:
    model.eval()
    return TimmBackbone(model, source)


@register_source(
    "timm",
    description="any timm model, with its pretrained weights from the Hugging Face hub cache",
    example="timm:convnext_tiny",
)
def timm_backbone(
    name: str, pretrained: bool = True, files: Path | None = None, weights: str | None = None
) -> Backbone:
    try:
        import timm
    except ImportError:
        raise UnknownNameError(f"timm:{name} needs timm; run `pip install timm`.") from None
    if not timm.is_model(name):
        raise UnknownNameError(
            f'timm has no model {name!r}; `python -c "import timm; '
            f"print(timm.list_models('{name}*'))\"` lists similar ones."
        )
    if not pretrained or weights is not None:
        model = timm.create_model(name, pretrained=False)
        if weights is not None:
            model.load_state_dict(load_state_dict(weights))
        return from_timm_model(model, f"timm:{name}")
    return from_timm_model(_pretrained_timm(name), f"timm:{name}")


def _pretrained_timm(name: str) -> Any:
    import timm
    from huggingface_hub import hf_hub_download

    cfg = timm.models.get_pretrained_cfg(name)
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg else None
    if hub_id:
        for filename in ("model.safetensors", "pytorch_model.bin"):
            try:
                local = hf_hub_download(hub_id, filename, local_files_only=True)
            except Exception:
                continue
            return timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": local})
    if host_reachable("huggingface.co"):
        return timm.create_model(name, pretrained=True)
    raise WeightsUnavailableError(
        f"The pretrained weights of timm:{name} ({hub_id or 'no hub id'}) are not in the "
        "Hugging Face cache and the hub cannot be reached; download them on a connected "
        "machine into the cache, or pass a local weights file with --weights."
    )
