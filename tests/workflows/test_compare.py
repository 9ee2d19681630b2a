"""compare on tiny models: the workflow, the verdict, and bad input."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tests.conftest import write_image_folder
from transferkit import compare
from transferkit.cli.main import main
from transferkit.errors import ConfigError, DataError
from transferkit.evaluation.transfer import transfer_verdict


@pytest.fixture
def comparable(tmp_path):
    root = tmp_path / "cmp"
    write_image_folder(root / "train", 10, seed=1)
    write_image_folder(root / "test", 5, seed=2)
    return root


def test_verdict_flips_between_gain_no_gain_inconclusive_and_negative_transfer():
    assert transfer_verdict("finetune", "16", [0.9, 0.92, 0.91], [0.6, 0.62, 0.58]).kind == "gain"
    none = transfer_verdict(
        "finetune", "16", [0.70, 0.71, 0.69, 0.70, 0.71], [0.70, 0.70, 0.70, 0.71, 0.70]
    )
    assert none.kind == "no-gain" and "includes zero" in none.sentence
    # two seeds far apart: a large gain that two seeds cannot establish is no "no gain"
    few = transfer_verdict("linear-probe", "4", [0.80, 0.94], [0.458, 0.458])
    assert few.kind == "inconclusive" and few.sentence.startswith("Not enough evidence")
    assert "run more seeds" in few.sentence
    neg = transfer_verdict("finetune", "all", [0.5, 0.52, 0.51], [0.7, 0.72, 0.69])
    assert neg.kind == "negative" and neg.sentence.startswith("Negative transfer on all the data")
    assert "training from scratch beats finetune" in neg.sentence


def _right(n_right, n=300):
    return np.arange(n) < n_right


def test_identical_seeds_one_test_example_apart_are_no_gain():
    """A probe on all the data is deterministic: its seeds agree, their spread is zero, and
    the interval must come from the test split itself. 298 of 300 right against 297 is one
    example's luck, not "transfer helps"; 290 against 200 is a gain on any test split."""
    seeds_only = transfer_verdict("linear-probe", "all", [298 / 300] * 3, [297 / 300] * 3)
    assert seeds_only.low == seeds_only.high  # what the seeds alone can say
    close = transfer_verdict(
        "linear-probe", "all", [298 / 300] * 3, [297 / 300] * 3,
        correct=([_right(298)] * 3, [_right(297)] * 3),
    )  # fmt: skip
    assert close.kind == "no-gain" and close.low < 0 < close.high, close.sentence
    assert "over 3 seeds and 300 test examples" in close.sentence
    far = transfer_verdict(
        "linear-probe", "all", [290 / 300] * 3, [200 / 300] * 3,
        correct=([_right(290)] * 3, [_right(200)] * 3),
    )  # fmt: skip
    assert far.kind == "gain" and 0 < far.low < 0.3 < far.high
    # the seeds' spread is kept: the test term only widens the interval
    spread = ([0.9, 0.92, 0.91], [0.6, 0.62, 0.58])
    both = transfer_verdict(
        "finetune", "16", *spread,
        correct=([_right(270), _right(276), _right(273)], [_right(180), _right(186), _right(174)]),
    )  # fmt: skip
    alone = transfer_verdict("finetune", "16", *spread)
    assert both.low < alone.low and both.high > alone.high and both.mean == alone.mean
    # when the test split, not the seeds, makes the interval wide, more seeds cannot help
    small = transfer_verdict(
        "linear-probe", "all", [0.55] * 3, [0.5] * 3,
        correct=([_right(11, 20)] * 3, [_right(10, 20)] * 3),
    )  # fmt: skip
    assert small.kind == "inconclusive" and "a larger test split would tell" in small.sentence
    assert "--seeds" not in small.sentence
    assert "run more seeds" in transfer_verdict("lp", "4", [0.80, 0.94], [0.458, 0.458]).sentence


def test_a_verdict_names_a_baseline_that_is_not_scratch():
    """Against ``--scratch-model mfcc`` (features with nothing trained) the verdict must not
    say "training from scratch": it names what the pretrained model lost to."""
    neg = transfer_verdict(
        "linear-probe", "16", [0.5, 0.52, 0.51], [0.7, 0.72, 0.69], baseline="mfcc"
    )
    assert "mfcc on this data alone beats linear-probe" in neg.sentence
    assert "scratch" not in neg.sentence
    gain = transfer_verdict(
        "linear-probe", "16", [0.9, 0.92, 0.91], [0.6, 0.62, 0.58], baseline="mfcc"
    )
    assert "linear-probe beats mfcc by" in gain.sentence


def test_compare_runs_every_cell_and_writes_a_report(comparable, tmp_path):
    result = compare(
        comparable,
        "tiny-cnn",
        ["linear-probe", "scratch"],
        [4, "all"],
        seeds=2,
        out=tmp_path / "cmp-out",
        options={"scratch": {"epochs": 1, "batch_size": 8}},
    )
    assert [(c.strategy, c.size) for c in result.cells] == [
        ("linear-probe", "4"),
        ("scratch", "4"),
        ("linear-probe", "all"),
        ("scratch", "all"),
    ]
    assert all(len(c.accuracies) == 2 for c in result.cells)
    assert {v.size for v in result.verdicts} == {"4", "all"}
    # each seed's test predictions, example by example, reach the verdict's interval
    n_test = len(result.cells[0].correct[0])
    assert all([len(k) for k in c.correct] == [n_test] * 2 for c in result.cells)
    assert all(c.accuracies == [float(np.mean(k)) for k in c.correct] for c in result.cells)
    assert all(v.examples == n_test for v in result.verdicts)
    saved = json.loads((result.out / "results.json").read_text())
    assert "correct" not in saved["cells"][0]  # results.json keeps the figures, not the rows
    assert saved["verdicts"][0]["sentence"] == result.verdicts[0].sentence
    html = (result.out / "report.html").read_text()
    assert "Verdict" in html and html.count("data:image/png;base64") >= 1


def test_compare_bad_input(comparable, tmp_path):
    with pytest.raises(DataError, match="larger than the data holds: class 'ants' has 10"):
        compare(comparable, "tiny-cnn", ["linear-probe"], [50], seeds=2)
    with pytest.raises(ConfigError, match="at least 2 seeds"):
        compare(comparable, "tiny-cnn", ["linear-probe"], [4], seeds=1)
    single = compare(
        comparable,
        "tiny-cnn",
        ["linear-probe", "scratch"],
        [4],
        seeds=1,
        ci=False,
        options={"scratch": {"epochs": 1}},
    )
    assert single.verdicts == [] and any("One seed" in n for n in single.notes)
    write_image_folder(tmp_path / "notest", 5)
    with pytest.raises(DataError, match="has no test split"):
        compare(tmp_path / "notest", "tiny-cnn", ["linear-probe"], [2], seeds=2)


def test_cli_compare(comparable, tmp_path, capsys):
    random.seed(0)
    code = 0
    try:
        main(
            [
                "compare",
                str(comparable),
                "-m",
                "tiny-cnn",
                "--strategies",
                "linear-probe",
                "--sizes",
                "4",
                "--seeds",
                "2",
                "--option",
                "linear-probe.C=1.0",
            ]
        )
    except SystemExit as exc:
        code = exc.code or 0
    assert code == 0 and "Test accuracy" in capsys.readouterr().out
    try:
        main(["compare", str(comparable), "-m", "tiny-cnn", "--option", "finetune"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "STRATEGY.NAME=VALUE" in capsys.readouterr().err


def test_a_cell_that_predicts_one_class_is_named_with_that_class():
    from transferkit.evaluation.studies import Cell, CompareResult, constant_notes

    result = CompareResult(
        [
            Cell("scratch", "4", [0.458, 0.458], [1.0, 1.0], 0.458),
            Cell("linear-probe", "4", [0.9, 0.85], [1, 1], 0.875),
        ],
        [],
        ["4"],
        [0, 1],
        "val/",
        class_shares={"ants": 70 / 153, "bees": 83 / 153},
    )
    result.cells[0].accuracies = [70 / 153, 70 / 153]
    assert constant_notes(result) == [
        "scratch at 4 per class scored 0.458 in every seed, what always predicting 'ants' "
        "scores: it learned nothing in its budget."
    ]
