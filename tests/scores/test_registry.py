"""Every registered score through ``compute_score``, and the one-sentence errors."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.errors import DataError, IncompatibleError, TransferkitError, UnknownNameError
from transferkit.scores import SCORES, ScoreSpec, compute_score, list_scores

BUILT_IN = {"hscore", "knn", "leep", "linear", "logme", "nce"}
FEATURE_SCORES = [s.name for s in list_scores("features")]
SOURCE_SCORES = [s.name for s in list_scores("source_probs")]


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


def test_the_registry_holds_the_built_in_scores_as_specs() -> None:
    assert set(SCORES.names()) >= BUILT_IN
    for spec in list_scores():
        assert isinstance(spec, ScoreSpec) and spec.higher_is_better and spec.description
        assert SCORES.entry(spec.name).meta["needs"] == spec.needs
    assert {s.name for s in list_scores("source_probs")} == {"leep", "nce"}


def informative_inputs(n: int = 60, seed: int = 0, signal: float = 3.0) -> dict[str, np.ndarray]:
    """Features and source predictions that carry the labels (``signal`` > 0) or not."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    features = rng.normal(size=(n, 12))
    features[:, :3] += signal * np.eye(3)[labels]
    logits = rng.normal(size=(n, 7))
    logits[:, :3] += signal * np.eye(3)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return {"features": features, "source_probs": probs, "labels": labels}


@pytest.mark.parametrize("name", SCORES.names())
def test_every_score_prefers_data_that_carries_the_labels(name: str) -> None:
    """Whatever a score measures, features (or source predictions) that separate the
    classes must transfer better than noise does."""
    spec = SCORES.get(name)
    sign = 1.0 if spec.higher_is_better else -1.0
    good = compute_score(name, **informative_inputs(signal=3.0))
    noise = compute_score(name, **informative_inputs(signal=0.0))
    assert np.isfinite(good) and np.isfinite(noise)
    assert sign * (good - noise) > 0, (good, noise)


@pytest.mark.parametrize("name", SOURCE_SCORES)
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
@pytest.mark.parametrize("name", FEATURE_SCORES)
def test_bad_feature_inputs_are_one_sentence_data_errors(case: str, name: str) -> None:
    change, phrase = BAD_INPUTS[case]
    with pytest.raises(DataError) as info:
        compute_score(name, **{**random_inputs(), **change})
    assert phrase in assert_one_sentence(info.value)


@pytest.mark.parametrize("name", SOURCE_SCORES)
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
