"""The options of ``rank``: which scores, which one decides, and how much to resample."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import Config, option
from transferkit.errors import ConfigError
from transferkit.scores.registry import SCORES

DEFAULT_PRIMARY = "logme"
# Table order: the evidence-based scores, the source-head scores, then the proxies
# (registered scores not named here follow, so a new score appears without an edit).
_ORDER = ("logme", "hscore", "leep", "nce", "knn", "linear")


@dataclass
class RankConfig(Config):
    describe = "rank option"

    scores: list[str] | None = option(  # noqa: RUF009 - a dataclass field with help text
        None,
        "Scores to compute, e.g. logme,hscore,knn (default: every registered score).",
    )
    primary: str | None = option(
        None,
        "The score that decides the recommendation (default: logme when it is computed, "
        "else the first score asked for).",
    )
    bootstrap: int = option(
        100,
        "Most resamples of the examples (random 80% subsamples of each class, without "
        "replacement) used to judge how sure the recommendation is; it stops after 20 when "
        "one backbone has won every one (0 skips it).",
        min=0,
    )

    def validate(self) -> None:
        for name in [*(self.scores or []), *([self.primary] if self.primary else [])]:
            SCORES.entry(name)  # an unknown name is an UnknownNameError naming the known ones
        if self.scores is not None and not self.scores:
            raise ConfigError("No scores asked for; name at least one (e.g. --scores logme).")
        if self.scores and self.primary and self.primary not in self.scores:
            raise ConfigError(
                f"The primary score {self.primary!r} is not among the scores asked for "
                f"({', '.join(self.scores)}); add it to the scores or choose one of them."
            )

    def score_names(self) -> list[str]:
        """The scores to compute, each once: those asked for in their order, or all."""
        if self.scores:
            return list(dict.fromkeys(self.scores))
        return sorted(SCORES.names(), key=lambda n: (*_ORDER, n).index(n))

    def primary_name(self) -> str:
        if self.primary:
            return self.primary
        names = self.score_names()
        return DEFAULT_PRIMARY if DEFAULT_PRIMARY in names else names[0]
