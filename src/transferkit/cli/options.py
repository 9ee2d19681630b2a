"""Command-line options generated from the config dataclasses, so every config field is
an option with the same name, type, choices and help, and a plug-in's options appear
without touching the CLI."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args, get_origin

import click

from transferkit.config import Config, FieldInfo


def _base_type(tp: Any) -> Any:
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return tp


def _click_type(info: FieldInfo) -> Any:
    tp = _base_type(info.type)
    if info.choices:
        return click.Choice([str(c) for c in info.choices])
    if get_origin(tp) is Literal:
        return click.Choice([str(a) for a in get_args(tp)])
    if tp is int:
        return click.INT
    if tp is float:
        return click.FLOAT
    return click.STRING


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def config_options(
    configs: Iterable[tuple[str, type[Config]]],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator adding one option per field of the given configs. A field shared by several
    configs becomes one option; its help says which configs it belongs to. Every option
    defaults to ``None`` (not given), so the config's own default applies."""
    merged: dict[str, list[tuple[str, FieldInfo]]] = {}
    for owner, cfg in configs:
        for info in cfg.fields():
            merged.setdefault(info.name, []).append((owner, info))

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for name, owned in reversed(list(merged.items())):
            owners = [o for o, _ in owned]
            info = owned[0][1]
            defaults = {o: _show(i.default) for o, i in owned}
            if len(set(defaults.values())) == 1:
                default = next(iter(defaults.values()))
            else:
                default = ", ".join(f"{v} for {o}" for o, v in defaults.items())
            where = f"[{', '.join(owners)}] " if owners != ["data"] else ""
            help_text = f"{where}{info.help} (default: {default})"
            if _base_type(info.type) is bool:
                decl = [f"{option_name(name)}/--no-{name.replace('_', '-')}", name]
                fn = click.option(*decl, default=None, help=help_text)(fn)
            else:
                fn = click.option(
                    option_name(name),
                    name,
                    type=_click_type(info),
                    default=None,
                    help=help_text,
                    metavar=info.type_name.upper().replace(" ", "_"),
                )(fn)
        return fn

    return decorate


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def given(values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The options among ``names`` that were given on the command line."""
    return {n: values[n] for n in names if values.get(n) is not None}
