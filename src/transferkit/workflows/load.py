"""``load``: a model directory back as a ``TransferModel`` that predicts what its run
reported. Loading reads data only: the strategy that trained the model rebuilds what it
changed beyond the head (LoRA's adapters) from the record, before the weights load."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from transferkit.errors import IncompatibleError, ModelDirError, TransferkitError
from transferkit.exported import reader

if TYPE_CHECKING:
    from transferkit.models import Classifier, ModelRecord, TransferModel


def _rebuild(classifier: Classifier, record: ModelRecord) -> None:
    from transferkit.strategies import STRATEGIES

    if record.strategy.name not in STRATEGIES:
        return
    try:
        STRATEGIES.get(record.strategy.name).rebuild(classifier, record)
    except (TransferkitError, KeyError, AttributeError, TypeError, ValueError) as exc:
        raise ModelDirError(
            f"The model directory is damaged or was not written by transferkit: its "
            f"{record.strategy.name} settings do not rebuild the model ({exc})."
        ) from None


def is_generator(directory: str | Path) -> bool:
    """A generator's directory (``fit --task generate``), not a classifier's."""
    path = Path(directory).expanduser()
    return (path / "generator.json").is_file() and not (path / "config.json").exists()


def refuse_generator(directory: str | Path, command: str) -> None:
    """Stop ``command`` (which takes classifiers) on a generator's directory, before
    anything is loaded."""
    if is_generator(directory):
        raise IncompatibleError(
            f"{directory} is a generator (fit --task generate), which {command} does not "
            "take; answer prompts with transferkit generate or predict (a plain "
            "transformers folder to use elsewhere: fit with --merge)."
        )


def load(directory: str | Path) -> TransferModel | Any:
    """Load a model directory written by ``fit`` (or by an earlier transferkit), an
    export written by ``export`` (``exported.reader``: that needs no PyTorch, and this
    function imports none for it), or a generator of ``fit --task generate`` (a
    ``Generator``: ``.generate(prompts)``)."""
    if reader.is_export(directory):
        return reader.load(directory)
    if is_generator(directory):
        from transferkit.generation.generator import Generator

        return Generator.load(directory)
    from transferkit.features import FeatureCache
    from transferkit.models import load_model

    model = load_model(directory, rebuild=_rebuild)
    model.cache = FeatureCache() if model.record.backbone_frozen else None
    return model
