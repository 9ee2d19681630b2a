"""Every registered score through ``compute_score``, and the one-sentence errors."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.errors import DataError, IncompatibleError, TransferkitError, UnknownNameError
from transferkit.scores import SCORES, ScoreSpec, compute_score, list_scores

EXPECTED = {"hscore", "knn", "leep", "linear", "logme", "nce"}


def random_inputs(n: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "features": rng.normal(size=(n, 12)),
        "source_probs": rng.dirichlet(np.ones(7), size=n),
        "labels": np.arange(n) % 3,
    }


def assert_one_sentence(error: TransferkitError) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith(".")
    assert ". " not in message[:-1], message  # no second sentence
    return message


def test_the_registry_holds_the_six_scores_as_specs() -> None:
    assert set(SCORES.names()) == EXPECTED
    for spec in list_scores():
        assert isinstance(spec, ScoreSpec) and spec.higher_is_better and spec.description
        assert SCORES.entry(spec.name).meta["needs"] == spec.needs
    assert {s.name for s in list_scores("source_probs")} == {"leep", "nce"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_score_runs_on_random_data(name: str) -> None:
    value = compute_score(name, **random_inputs())
    assert isinstance(value, float) and np.isfinite(value)


@pytest.mark.parametrize("name", ["leep", "nce"])
def test_missing_source_predictions_is_one_clear_sentence(name: str) -> None:
    inputs = random_inputs()
    with pytest.raises(IncompatibleError) as info:
        compute_score(
            name, features=inputs["features"], labels=inputs["labels"], backbone_name="dino"
        )
    message = assert_one_sentence(info.value)
    assert "'dino'" in message and "source classifier" in message and "logme" in message


def test_missing_features_is_one_clear_sentence() -> None:
    inputs = random_inputs()
    with pytest.raises(IncompatibleError) as info:
        compute_score("logme", source_probs=inputs["source_probs"], labels=inputs["labels"])
    assert "features" in assert_one_sentence(info.value)


def test_unknown_score_suggests_the_close_name() -> None:
    with pytest.raises(UnknownNameError, match="logme"):
        compute_score("logmee", features=random_inputs()["features"], labels=np.arange(40) % 2)


BAD_INPUTS = {
    "single class": ({"labels": np.zeros(40, dtype=int)}, "same class (0)"),
    "fewer examples than classes": ({"labels": np.arange(40)}, "40 examples for 40 classes"),
    "mismatched lengths": ({"labels": np.arange(39) % 3}, "39 labels"),
    "nan features": ({"features": np.full((40, 12), np.nan)}, "NaN"),
    "labels not 1-D": ({"labels": np.zeros((40, 2), dtype=int)}, "1-D"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("name", sorted(EXPECTED - {"leep", "nce"}))
def test_bad_feature_inputs_are_one_sentence_data_errors(case: str, name: str) -> None:
    change, phrase = BAD_INPUTS[case]
    with pytest.raises(DataError) as info:
        compute_score(name, **{**random_inputs(), **change})
    assert phrase in assert_one_sentence(info.value)


@pytest.mark.parametrize("name", ["leep", "nce"])
def test_bad_source_probs_are_one_sentence_data_errors(name: str) -> None:
    inputs = random_inputs()
    for change in (
        {"labels": np.zeros(40, dtype=int)},
        {"labels": np.arange(40)},
        {"labels": np.arange(39) % 3},
        {"source_probs": np.full((40, 7), np.nan)},
        {"source_probs": inputs["features"]},  # logits, not probabilities
    ):
        with pytest.raises(DataError) as info:
            compute_score(name, **{**inputs, **change})
        assert_one_sentence(info.value)
