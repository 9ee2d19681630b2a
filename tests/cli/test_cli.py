"""The command line: the user's workflow end to end, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from transferkit.cli.main import main


def run(args, capsys):
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fit_predict_evaluate(image_splits, tmp_path, capsys):
    out = tmp_path / "model"
    code, stdout, _ = run(
        [
            "fit",
            image_splits,
            "-m",
            "tiny-cnn",
            "-s",
            "linear-probe",
            "--test-split",
            "val",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0, stdout
    assert "test (12 examples): accuracy" in stdout and f"Model saved to {out}" in stdout.replace(
        "\n", ""
    )
    assert "Per class" in stdout

    code, stdout, _ = run(
        ["predict", out, image_splits / "val" / "ants", "--format", "json"], capsys
    )
    rows = json.loads(stdout)
    assert code == 0 and len(rows) == 6 and set(rows[0]["probabilities"]) == {"ants", "bees"}

    code, stdout, _ = run(["predict", out, image_splits / "val", "--format", "csv"], capsys)
    assert (
        stdout.splitlines()[0] == "input,predicted,p_ants,p_bees,unfamiliar"
        and len(stdout.splitlines()) == 13
    )

    code, stdout, _ = run(["evaluate", out, image_splits / "val", "--format", "json"], capsys)
    metrics = json.loads(stdout)
    assert code == 0 and metrics["n"] == 12


def test_predict_refuses_to_overwrite_results(image_splits, tmp_path, capsys):
    out = tmp_path / "model"
    run(["fit", image_splits, "-m", "tiny-cnn", "--out", out], capsys)
    target = tmp_path / "preds.csv"
    target.write_text("earlier results")
    code, _, err = run(
        ["predict", out, image_splits / "val", "--format", "csv", "--output", target], capsys
    )
    assert code == 2 and "--overwrite" in err and target.read_text() == "earlier results"


def test_text_model_predicts_literal_texts(text_splits, tmp_path, capsys):
    out = tmp_path / "model"
    assert run(["fit", text_splits, "-m", "tiny-bert", "--out", out], capsys)[0] == 0
    code, stdout, _ = run(
        ["predict", out, "a great film", "an awful film", "--format", "json"], capsys
    )
    assert code == 0 and [r["input"] for r in json.loads(stdout)] == ["input 1", "input 2"]


def test_run_file_options_are_checked(image_folder, tmp_path, capsys):
    run_file = tmp_path / "run.yaml"
    run_file.write_text(
        f"data: {image_folder}\nmodel: tiny-cnn\nstrategy: finetune\nepochs: 1\nbatch_size: 8\n"
    )
    code, stdout, _ = run(["fit", "--config", run_file], capsys)
    assert code == 0 and "validation" in stdout
    run_file.write_text(f"data: {image_folder}\nmodel: tiny-cnn\nepoch: 1\n")
    code, _, err = run(["fit", "--config", run_file], capsys)
    assert code == 2 and "'epoch' is neither a data option nor an option" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["fit", "{missing}"], "does not exist"),
        (["fit", "{images}", "-m", "no-such-model"], "Unknown backbone 'no-such-model'"),
        (["fit", "{images}", "-m", "tiny-cnn", "-s", "finetune", "--C", "1"], "no option --C"),
        (["fit", "{images}", "-m", "tiny-bert"], "tiny-bert is a text model"),
        (["evaluate", "{missing}", "{images}"], "not a model directory"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args, fragment, image_folder, tmp_path, capsys):
    args = [a.format(missing=tmp_path / "missing", images=image_folder) for a in args]
    code, _, err = run(args, capsys)
    assert code == 2 and fragment in err.replace("\n", " ")
    assert "Traceback" not in err and err.count("error:") == 1


def test_debug_shows_the_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "transferkit.cli.main", "fit", str(tmp_path / "x"), "--debug"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "DataError" in proc.stderr


def test_models_lists_availability(capsys):
    code, stdout, _ = run(["models"], capsys)
    assert code == 0 and "mobilenet_v2" in stdout and "torchvision:NAME" in stdout
    assert "tiny-cnn" not in stdout


def test_strategies_show_their_options(capsys):
    code, stdout, _ = run(["strategies", "finetune"], capsys)
    assert code == 0 and "--layer-decay" in stdout


def test_help_is_short_and_every_option_comes_from_a_config(capsys):
    from transferkit.cli.main import cli
    from transferkit.data.config import DataConfig
    from transferkit.ranking.config import RankConfig
    from transferkit.workflows import configs

    code, stdout, _ = run(["fit", "--help"], capsys)
    assert code == 0 and len(stdout.splitlines()) < 80
    assert "transferkit strategies NAME" in stdout and "--target" in stdout
    data = set(DataConfig.field_names())
    expected = {
        "fit": {*configs.FitRun.field_names(), *data, "run_file"},
        "compare": {*configs.CompareRun.field_names(), *data, "option_pairs"},
        "explore": {*configs.ExploreRun.field_names(), *data},
        "adapt": {*configs.AdaptRun.field_names(), *data},
        "rank": {*configs.RankRun.field_names(), *RankConfig.field_names(), *data, "fmt"},
        "predict": set(configs.PredictRun.field_names()),
        "evaluate": set(configs.EvaluateRun.field_names()),
    }
    for name, fields in expected.items():
        command = cli.commands[name]
        options = {p.name for p in command.params if isinstance(p, click.Option)}
        assert options == fields, name
        out_option = next((p for p in command.params if p.name == "out"), None)
        if out_option is not None:  # one spelling everywhere, the old one kept
            assert {"--out", "--output", "-o"} <= set(out_option.opts)


def test_cli_predictions_are_predict_proba(text_splits, tmp_path, capsys):
    """The command line and the Python API predict through the same method."""
    import numpy as np

    import transferkit

    out = tmp_path / "model"
    assert (
        run(
            [
                "fit",
                text_splits,
                "-m",
                "tiny-bert",
                "-s",
                "finetune",
                "--epochs",
                "1",
                "--out",
                out,
            ],
            capsys,
        )[0]
        == 0
    )
    texts = ["a great fun film", "the worst boring plot", "it was the film"]
    _, stdout, _ = run(["predict", out, *texts, "--format", "json"], capsys)
    rows = json.loads(stdout)
    model = transferkit.load(out)
    cli_proba = np.array([[r["probabilities"][c] for c in model.classes_] for r in rows])
    np.testing.assert_allclose(cli_proba, model.predict_proba(texts), rtol=1e-6)
    assert [r["unfamiliar"] for r in rows] == list(model.unfamiliar(texts))


def test_strategy_options_are_checked_against_the_strategy(image_splits, tmp_path, capsys):
    base = ["fit", image_splits, "-m", "tiny-cnn", "--test-split", "val"]
    code, _, err = run([*base, "-s", "finetune", "--epocs", "1"], capsys)
    assert code == 2 and "did you mean --epochs?" in " ".join(err.split())
    code, _, _ = run(
        [*base, "-s", "finetune", "--epochs", "1", "--no-augment", "--out", tmp_path / "m"], capsys
    )
    assert code == 0
    config = json.loads((tmp_path / "m" / "config.json").read_text())["strategy"]["config"]
    assert config["epochs"] == 1 and config["augment"] is False


def test_fit_takes_a_target_domain_for_adaptation(image_splits, tmp_path, capsys):
    base = ["fit", image_splits / "train", "-m", "tiny-cnn", "--out", tmp_path / "m"]
    code, _, err = run([*base, "-s", "dann", "--epochs", "1"], capsys)
    assert code == 2 and "pass --target" in err
    code, _, _ = run(
        [*base, "-s", "dann", "--epochs", "1", "--target", image_splits / "val"], capsys
    )
    assert code == 0
    code, _, err = run([*base, "--overwrite", "--target", image_splits / "val"], capsys)
    assert code == 2 and "does not use a target domain" in err.replace("\n", " ")


def test_evaluate_maps_labels_of_other_data_and_splits_by_familiarity(
    text_splits, tmp_path, capsys
):
    out = tmp_path / "model"
    assert run(["fit", text_splits, "-m", "tiny-bert", "--out", out], capsys)[0] == 0
    renamed = tmp_path / "renamed.csv"
    renamed.write_text((text_splits / "test.csv").read_text().replace(",pos", ",good"))
    code, _, err = run(["evaluate", out, renamed], capsys)
    assert code == 2 and "--label-map good=CLASS" in " ".join(err.split())
    code, stdout, _ = run(["evaluate", out, renamed, "--label-map", "good=pos"], capsys)
    assert code == 0 and "evaluation (16 examples)" in stdout
    assert "Inputs like the training data:" in stdout


def test_the_command_line_starts_without_importing_torch():
    """--help and --version need no model library: importing the CLI must not pull in
    torch or scikit-learn (they cost seconds and hundreds of megabytes)."""
    code = (
        "import sys, transferkit.cli.main; "
        "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr[-500:]
