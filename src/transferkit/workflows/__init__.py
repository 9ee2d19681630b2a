"""How transferkit is driven from Python: one module per workflow (``fit`` and its stages,
``compare``, ``explore``, ``adapt``, ``rank``, ``load``), each a thin composition of the
layers below that returns a typed result. ``configs.py`` holds their options, from which
the command line is generated."""

from transferkit.workflows.adapt import AdaptResult, adapt
from transferkit.workflows.compare import compare
from transferkit.workflows.explore import explore
from transferkit.workflows.fit import FitResult, fit
from transferkit.workflows.load import load
from transferkit.workflows.rank import rank

__all__ = ["AdaptResult", "FitResult", "adapt", "compare", "explore", "fit", "load", "rank"]
