"""How a model is trained: the Accelerate loop, optimiser groups and schedules, and the
closed-form logistic head."""

from transferkit.training.logistic import LogisticFit, fit_logistic
from transferkit.training.loop import Callback, History, Penalty, Trainer, TrainSettings

__all__ = [
    "Callback",
    "History",
    "LogisticFit",
    "Penalty",
    "TrainSettings",
    "Trainer",
    "fit_logistic",
]
