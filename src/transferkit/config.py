"""Configuration dataclasses: help text, validation, and a JSON/YAML round trip.

Every configurable object (a strategy, the data reader, a run) is a dataclass derived
from ``Config``. Fields are declared with ``option(default, "help", ...)``; their type
hints, choices and bounds are checked in ``__post_init__`` so an invalid config cannot be
built. The CLI generates its options from the same fields, and a saved model records
``to_dict()`` of every config it was made with.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from transferkit.errors import ConfigError


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    choices: typing.Sequence[Any] | typing.Callable[[], typing.Sequence[Any]] | None = None,
    min: float | None = None,
    max: float | None = None,
    default_factory: Any = MISSING,
    flags: tuple[str, ...] = (),
    flag_value: str | None = None,
) -> Any:
    """Declare a config field with its help text and the values it accepts; ``choices`` may
    be a function, read when the config is checked (e.g. the names in a registry).
    ``flags`` are extra command-line spellings (``-m``, ``--output``); ``flag_value`` lets
    the option be given without a value on the command line, meaning that value."""
    fixed = None if choices is None or callable(choices) else tuple(choices)
    meta = {"help": help, "choices": choices if callable(choices) else fixed, "min": min}
    meta.update(max=max, flags=tuple(flags), flag_value=flag_value)
    if default_factory is not MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: Any
    default: Any
    help: str
    choices: tuple[Any, ...] | None
    min: float | None
    max: float | None
    flags: tuple[str, ...] = ()
    flag_value: str | None = None

    @property
    def type_name(self) -> str:
        return _type_name(self.type)


@dataclass
class Config:
    """Base class of every config dataclass."""

    #: What the config describes in messages ("option of strategy 'finetune'").
    describe: ClassVar[str] = "option"

    def __post_init__(self) -> None:
        for info in self.fields():
            value = _coerce(getattr(self, info.name), info, self.describe)
            _check_range(value, info, self.describe)
            object.__setattr__(self, info.name, value)
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; raise ``ConfigError`` with one sentence."""

    @classmethod
    def fields(cls) -> list[FieldInfo]:
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            default = f.default
            if default is MISSING and f.default_factory is not MISSING:
                default = f.default_factory()
            choices = f.metadata.get("choices")
            out.append(
                FieldInfo(
                    f.name,
                    hints[f.name],
                    default,
                    f.metadata.get("help", ""),
                    tuple(choices()) if callable(choices) else choices,
                    f.metadata.get("min"),
                    f.metadata.get("max"),
                    f.metadata.get("flags", ()),
                    f.metadata.get("flag_value"),
                )
            )
        return out

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in cls.fields()]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in self.fields()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None = None, **overrides: Any) -> Self:
        """Build from a mapping (a JSON or YAML file, CLI options); unknown keys are errors."""
        merged = {**(values or {}), **overrides}
        names = cls.field_names()
        for key in merged:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"Unknown {cls.describe} {key!r}.{hint} Valid: {', '.join(names)}."
                )
        return cls(**merged)

    def replace(self, **changes: Any) -> Self:
        return type(self).from_dict(self.to_dict(), **changes)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Config):
        return value.to_dict()
    return value


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "|".join(str(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp) if a is not type(None))
    if origin in (list, tuple):
        return f"list of {_type_name(get_args(tp)[0])}"
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, info: FieldInfo, describe: str) -> Any:
    """Accept the value if it fits the field's type, converting strings from the CLI."""
    try:
        return _coerce_to(value, info.type)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{_spelt(info, describe)} must be {_SPOKEN.get(info.type, info.type_name)}, "
            f"not {value!r}."
        ) from None


_SPOKEN = {
    int: "a whole number",
    float: "a finite number",
    bool: "true or false",
    int | None: "a whole number (or none)",
    float | None: "a finite number (or none)",
}


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _coerce_to(value: Any, tp: Any) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        # "none" typed for a text option is that text ("--val-split none" carves a
        # validation split); for a number or a flag it means "not set"
        spelled = isinstance(value, str) and value.lower() in {"none", "null"} and str not in args
        if (value is None or spelled) and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce_to(value, arg)
            except (TypeError, ValueError):
                continue
        raise ValueError(value)
    if origin is Literal:
        allowed = get_args(tp)
        if value in allowed:
            return value
        raise ValueError(value)
    if origin in (list, tuple):
        (item_type, *_rest) = get_args(tp)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise TypeError(value)
        items = [_coerce_to(v, item_type) for v in value]
        return tuple(items) if origin is tuple else items
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(value)
    if tp in (int, float):
        return _number(value, tp)
    if tp is str:
        if isinstance(value, str):
            return value
        raise TypeError(value)
    if tp is Any:
        return value
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise TypeError(value)


def _number(value: Any, tp: type) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(value)
    if tp is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    number = float(value)
    if not math.isfinite(number):  # nan passes every range check, inf most
        raise ValueError(value)
    return number


def _spelt(info: FieldInfo, describe: str) -> str:
    """An option as the command line spells it, with what it belongs to: ``--batch-size
    (option of strategy 'finetune')`` (a run file and the Python API use the same names,
    dashes or not)."""
    return f"--{info.name.replace('_', '-')} ({describe})"


def _check_range(value: Any, info: FieldInfo, describe: str) -> None:
    if value is None:
        return
    if info.choices is not None and value not in info.choices:
        raise ConfigError(
            f"{_spelt(info, describe)} must be one of "
            f"{', '.join(map(str, info.choices))}, not {value!r}."
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if info.min is not None and value < info.min:
            raise ConfigError(f"{_spelt(info, describe)} must be at least {info.min}, not {value}.")
        if info.max is not None and value > info.max:
            raise ConfigError(f"{_spelt(info, describe)} must be at most {info.max}, not {value}.")
