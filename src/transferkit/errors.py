"""The exceptions a user can meet.

Every error here is a *user* error: its message is one sentence that names what was wrong
and what to do about it. The CLI prints it without a traceback; anything else escaping is
a bug in transferkit.
"""

from __future__ import annotations


class TransferkitError(Exception):
    """Base class: the message is shown to the user as is."""


class DataError(TransferkitError, ValueError):
    """The data set cannot be read or cannot be used as given (a ``ValueError``, as
    scikit-learn and Python raise for bad values)."""


class ConfigError(TransferkitError, ValueError):
    """An option, config file or run file has an unknown or invalid value."""


class UnknownNameError(ConfigError, KeyError):
    """A name (backbone, strategy, score, ...) is not registered."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class WeightsUnavailableError(TransferkitError):
    """Pretrained weights are not on this machine and cannot be fetched."""


class IncompatibleError(TransferkitError):
    """Two valid things that do not go together (a strategy and a backbone, a model and data)."""


class ModelDirError(TransferkitError):
    """A model directory is missing, incomplete, from another version, or would be overwritten."""


class NotFittedError(TransferkitError, AttributeError):
    """A fitted attribute or prediction was asked of an object that has not been fitted."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (or its type), to quote in a sentence."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
