"""Named registries filled by decorators, and the discovery of the plug-ins that fill them.

Backbones, backbone sources, strategies (domain-adaptation methods among them),
transferability scores and regularizers each live in one ``Registry``. A plug-in is one
module whose object is decorated with ``@REGISTRY.register("name")`` (or the kind's own
decorator, such as ``@register_strategy``); nothing else names it:

* built-in plug-ins are found by importing every module of the registry's packages the
  first time the registry is read (``Registry("strategy", packages=[...])``);
* third-party plug-ins are modules named by an entry point in the group
  ``transferkit.plugins`` of any installed distribution, e.g. in its ``pyproject.toml``::

      [project.entry-points."transferkit.plugins"]
      my-strategy = "my_package.my_strategy"

  Every such module is imported once, the first time any registry is read, so one
  distribution can add plug-ins of several kinds.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from transferkit.errors import ConfigError, UnknownNameError

T = TypeVar("T")

ENTRY_POINT_GROUP = "transferkit.plugins"


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    obj: T
    meta: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Maps names to objects; ``kind`` is used in messages ("backbone", "strategy").

    ``packages`` are the dotted names of the packages whose modules hold the built-in
    plug-ins; they are imported on first read, so registering needs no import list.
    ``listed`` says which objects messages name (test-only plug-ins are not).
    """

    def __init__(
        self,
        kind: str,
        list_command: str | None = None,
        packages: Sequence[str] = (),
        listed: Callable[[T], bool] | None = None,
    ) -> None:
        self.kind = kind
        self.list_command = list_command
        self.packages = tuple(packages)
        self.listed = listed
        self._entries: dict[str, Entry[T]] = {}
        self._discovered = not self.packages

    def register(self, name: str, **meta: Any) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = Entry(name, obj, dict(meta))
            return obj

        return decorate

    def _loaded(self) -> dict[str, Entry[T]]:
        if not self._discovered:
            self._discovered = True  # first: a plug-in module may read its own registry
            for package in self.packages:
                import_package_modules(package)
            load_entry_points()
        return self._entries

    def entry(self, name: str) -> Entry[T]:
        try:
            return self._loaded()[name]
        except KeyError:
            raise UnknownNameError(self._unknown_message(name)) from None

    def get(self, name: str) -> T:
        return self.entry(name).obj

    def names(self, pattern: str | None = None) -> list[str]:
        names = sorted(self._loaded())
        if pattern:
            names = [n for n in names if fnmatch.fnmatch(n, pattern)]
        return names

    def __contains__(self, name: object) -> bool:
        return name in self._loaded()

    def __iter__(self) -> Iterator[Entry[T]]:
        entries = self._loaded()
        return iter(entries[n] for n in sorted(entries))

    def __len__(self) -> int:
        return len(self._loaded())

    def shown(self) -> list[str]:
        """The names messages offer a user."""
        return [e.name for e in self if self.listed is None or self.listed(e.obj)]

    def _unknown_message(self, name: str) -> str:
        shown = self.shown()
        close = difflib.get_close_matches(name, shown, n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        where = f" (`{self.list_command}` lists them)" if self.list_command else ""
        return f"Unknown {self.kind} {name!r}.{hint} Known: {', '.join(shown)}{where}."


def import_package_modules(package: str) -> None:
    """Import every module of ``package`` (not its sub-packages: those that hold plug-ins
    are packages of a registry of their own)."""
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.ispkg:
            importlib.import_module(f"{package}.{info.name}")


_entry_points_loaded = False


def load_entry_points() -> None:
    """Import the modules named in the ``transferkit.plugins`` entry-point group, once."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:
            dist = ep.dist.name if ep.dist is not None else "an installed package"
            raise ConfigError(
                f"The transferkit plug-in {ep.name!r} of {dist} failed to load "
                f"({exc.__class__.__name__}: {exc}); fix or uninstall {dist}."
            ) from exc
