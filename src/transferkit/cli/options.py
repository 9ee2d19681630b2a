"""Command-line options generated from the config dataclasses, so every option has one
name, type, help text, metavar and default style whatever command it belongs to, and a
plug-in's options work without touching the CLI.

A command's own options (its workflow's config, ``DataConfig``) are declared to click
with ``config_options``. The options of the strategies or methods a command runs depend
on which it runs, so they are not declared: ``plugin_options`` reads them from the
leftover arguments once the strategy is known, against that strategy's config (``fit
--help`` stays short; ``transferkit strategies NAME`` lists them).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, get_args, get_origin

import click

from transferkit.config import Config, FieldInfo
from transferkit.errors import ConfigError


def _base_type(tp: Any) -> Any:
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return tp


def is_flag(info: FieldInfo) -> bool:
    return _base_type(info.type) is bool


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def _metavar(info: FieldInfo) -> str:
    tp = _base_type(info.type)
    if get_origin(tp) in (list, tuple):
        return "A,B,..."
    return {int: "INT", float: "NUMBER"}.get(tp, "TEXT")


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def help_text(info: FieldInfo) -> str:
    if is_flag(info):
        shown = " (default: on)" if info.default is True else ""
    else:
        shown = "" if info.default in (None, False) else f" (default: {_show(info.default)})"
    text = info.help.rstrip()
    return f"{text[:-1]}{shown}." if text.endswith(".") and shown else f"{text}{shown}"


def _click_option(info: FieldInfo, hidden: bool = False) -> Callable[[Any], Any]:
    name = option_name(info.name)
    if is_flag(info) and info.flag_value is None:
        negative = f"--no-{info.name.replace('_', '-')}"
        # an option that is off unless given is a plain flag; one that is on can be negated
        decl = [name if info.default is False else f"{name}/{negative}", *info.flags]
        flag = {"is_flag": True, "flag_value": True} if info.default is False else {}
        return click.option(*decl, info.name, default=None, help=help_text(info), **flag)
    kind: Any = click.Choice([str(c) for c in info.choices]) if info.choices else click.STRING
    extra: dict[str, Any] = {}
    if info.flag_value is not None:
        extra = {"is_flag": False, "flag_value": info.flag_value}
    return click.option(
        name,
        *info.flags,
        info.name,
        type=kind,
        default=None,
        help=help_text(info),
        metavar=None if info.choices else _metavar(info),
        hidden=hidden,
        **extra,
    )


def config_options(
    *configs: type[Config], exclude: Sequence[str] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator adding one option per field of the configs (a field shared by several
    becomes one option). Every option defaults to ``None`` (not given), so the config's own
    default applies; values stay text for the config to check and convert."""
    fields: dict[str, FieldInfo] = {}
    for cfg in configs:
        own = set(vars(cfg).get("__annotations__", {}))
        # a config's own fields before those it shares with others (output, cache)
        for info in sorted(cfg.fields(), key=lambda f: f.name not in own):
            if info.name not in exclude:
                fields.setdefault(info.name, info)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for info in reversed(list(fields.values())):
            fn = _click_option(info)(fn)
        return fn

    return decorate


def plugin_command(options_of: str, metavar: str = "DATA") -> Callable[[Any], click.Command]:
    """A command whose arguments are followed by the options of the plug-in it runs
    (``options_of``: "Strategy", "The method's"), read by ``plugin_options``."""

    def decorate(fn: Callable[..., Any]) -> click.Command:
        fn = click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar=metavar)(fn)
        epilog = (
            f"{options_of} options go anywhere on the line (e.g. --epochs 5 --freeze-bn): "
            "`transferkit strategies NAME` lists them."
        )
        return click.command(context_settings={"ignore_unknown_options": True}, epilog=epilog)(fn)

    return decorate


def given(values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The options among ``names`` that were given on the command line."""
    return {n: values[n] for n in names if values.get(n) is not None}


def plugin_options(
    args: Sequence[str], fields: dict[str, FieldInfo], owner: str, help_command: str
) -> tuple[list[str], dict[str, Any]]:
    """Split leftover arguments into positional ones and ``--name VALUE`` options of the
    plug-in ``owner`` (``--flag``/``--no-flag`` for yes/no options, ``--name=VALUE`` too).

    Raises ``ConfigError`` naming an unknown option, with the closest known one and the
    command that lists them."""
    positional, values = [], {}
    items = list(args)
    while items:
        token = items.pop(0)
        if not token.startswith("--") or token == "--":
            positional.append(token)
            continue
        name, eq, value = token[2:].partition("=")
        key = name.replace("-", "_")
        negated = key.startswith("no_") and key[3:] in fields and is_flag(fields[key[3:]])
        info = fields.get(key[3:] if negated else key)
        if info is None:
            raise ConfigError(_unknown(name, fields, owner, help_command))
        if is_flag(info) and not eq:
            values[info.name] = not negated
        elif eq:
            values[info.name] = value
        elif items:
            values[info.name] = items.pop(0)
        else:
            raise ConfigError(f"--{name} needs a value; `{help_command}` describes it.")
    return positional, values


def _unknown(name: str, fields: dict[str, FieldInfo], owner: str, help_command: str) -> str:
    known = [option_name(f) for f in fields]
    close = difflib.get_close_matches("--" + name, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"There is no option --{name} for {owner}{hint}; `{help_command}` lists its options."
