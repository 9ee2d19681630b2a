"""The backbone registry: named backbones and generic sources ("torchvision:", "timm:", "hf:").

A named backbone is registered with ``@register_backbone(name, ...)`` on a builder
``build(pretrained, files, weights) -> Backbone``. A source is registered with
``@register_source(prefix)`` on ``build(name, pretrained, files, weights)`` and handles
every ``prefix:name``. A path to a local folder is handed to the Hugging Face source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from transferkit.backbones.base import Backbone, Modality
from transferkit.errors import ModelDirError, UnknownNameError
from transferkit.registry import Registry


class NamedBuilder(Protocol):
    def __call__(
        self, pretrained: bool = True, files: Path | None = None, weights: str | None = None
    ) -> Backbone: ...


class SourceBuilder(Protocol):
    def __call__(
        self,
        name: str,
        pretrained: bool = True,
        files: Path | None = None,
        weights: str | None = None,
    ) -> Backbone: ...


@dataclass(frozen=True)
class BackboneEntry:
    name: str
    modality: Modality
    description: str
    build: NamedBuilder
    available: Callable[[], bool]
    install: str
    for_tests: bool = False


@dataclass(frozen=True)
class SourceEntry:
    prefix: str
    description: str
    build: SourceBuilder
    example: str
    #: a saved model of this source rebuilds from its directory's backbone files alone
    #: (configs, tokenizer), never from the name, which may point anywhere
    needs_files: bool = False


#: Named backbones and generic sources: one module of this package each (or a plug-in's).
BACKBONES: Registry[BackboneEntry] = Registry(
    "backbone",
    list_command="transferkit models",
    packages=["transferkit.backbones"],
    listed=lambda entry: not entry.for_tests,
)
SOURCES: Registry[SourceEntry] = Registry(
    "backbone source", list_command="transferkit models", packages=["transferkit.backbones"]
)


def register_backbone(
    name: str,
    *,
    modality: Modality,
    description: str,
    available: Callable[[], bool],
    install: str,
    for_tests: bool = False,
) -> Callable[[NamedBuilder], NamedBuilder]:
    def decorate(build: NamedBuilder) -> NamedBuilder:
        entry = BackboneEntry(name, modality, description, build, available, install, for_tests)
        BACKBONES.register(name)(entry)
        return build

    return decorate


def register_source(
    prefix: str, *, description: str, example: str, needs_files: bool = False
) -> Callable[[SourceBuilder], SourceBuilder]:
    def decorate(build: SourceBuilder) -> SourceBuilder:
        SOURCES.register(prefix)(SourceEntry(prefix, description, build, example, needs_files))
        return build

    return decorate


def create_backbone(
    name: str,
    pretrained: bool = True,
    *,
    files: str | Path | None = None,
    weights: str | Path | None = None,
) -> Backbone:
    """Build a backbone by name: a registered name (``list_backbones()``), ``source:name``
    (``torchvision:resnet18``, ``timm:convnext_tiny``, ``hf:bert-base-uncased``) or a local
    Hugging Face model folder.

    Args:
        pretrained: load the pretrained weights; ``False`` builds the architecture only.
        files: a folder written by ``Backbone.save_files`` (configs, tokenizer) to rebuild
            from instead of the original source.
        weights: a local weights file (.safetensors or .pth) to load instead of the
            default weights.
    """
    files_path = Path(files) if files is not None else None
    weights_str = str(weights) if weights is not None else None
    if name in BACKBONES:
        return BACKBONES.get(name).build(
            pretrained=pretrained, files=files_path, weights=weights_str
        )
    prefix, sep, rest = name.partition(":")
    if sep and prefix in SOURCES:
        return SOURCES.get(prefix).build(
            rest, pretrained=pretrained, files=files_path, weights=weights_str
        )
    if Path(name).expanduser().is_dir():
        return SOURCES.get("hf").build(
            str(Path(name).expanduser()),
            pretrained=pretrained,
            files=files_path,
            weights=weights_str,
        )
    if sep and len(prefix) > 1:
        raise UnknownNameError(
            f"Unknown backbone source {prefix!r} in {name!r}; "
            f"use one of {', '.join(p + ':' for p in SOURCES.names())} or a registered name "
            "(`transferkit models` lists them)."
        )
    raise UnknownNameError(
        BACKBONES._unknown_message(name)[:-1]
        + f", or use {', '.join(e.obj.example for e in SOURCES)} or a local model folder."
    )


def rebuild_backbone(name: Any, files: Path | None, where: str) -> Backbone:
    """The backbone a model directory records as ``name``, rebuilt as data: the
    architecture only (the directory holds the weights), never downloaded, and from
    nothing outside the directory but installed packages. A name that is neither a
    registered backbone nor ``source:name`` is refused, and a source that rebuilds from
    files (``hf:``, a local folder) is given only the directory's ``backbone/`` folder."""
    if not isinstance(name, str):
        raise ModelDirError(f"{where} is damaged: its backbone source is not text.")
    if name in BACKBONES:
        return BACKBONES.get(name).build(pretrained=False, files=files)
    prefix, sep, rest = name.partition(":")
    entry = SOURCES.get(prefix) if sep and prefix in SOURCES else None
    if entry is None and Path(name).is_absolute():  # a local Hugging Face folder
        entry, rest = SOURCES.get("hf"), name
    if entry is None:
        raise ModelDirError(
            f"{where} is damaged or was not written by transferkit: its backbone source "
            f"{name!r} is neither a registered backbone nor source:name; re-run the fit."
        )
    if entry.needs_files and files is None:
        raise ModelDirError(
            f"{where} is damaged: its {entry.prefix} backbone is rebuilt from the directory's "
            "backbone/ folder, which is missing; copy the whole directory again."
        )
    return entry.build(rest, pretrained=False, files=files if entry.needs_files else None)


DEFAULT_BACKBONES = {"image": "mobilenet_v2", "text": "all-MiniLM-L6-v2"}


def default_backbone(modality: str) -> str:
    """The backbone used when none is named: a small, installable one per modality."""
    if modality not in DEFAULT_BACKBONES:
        raise UnknownNameError(
            f"There is no default backbone for {modality} data; name one with --model "
            "(`transferkit models` lists them)."
        )
    return DEFAULT_BACKBONES[modality]


def list_backbones(pattern: str | None = None, *, include_tests: bool = False) -> list[str]:
    """Registered backbone names, optionally filtered by a glob pattern ("efficientnet*")."""
    return [n for n in BACKBONES.names(pattern) if include_tests or not BACKBONES.get(n).for_tests]
