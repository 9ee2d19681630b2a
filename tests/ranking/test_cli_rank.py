"""``transferkit rank`` on the command line: the table, JSON, and errors without tracebacks."""

from __future__ import annotations

import json

from transferkit.cli.main import main


def run(args, capsys):
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rank_prints_scores_ranks_times_and_a_recommendation(image_folder, capsys):
    code, out, _ = run(["rank", image_folder, "--models", "tiny-cnn,tiny-bert"], capsys)
    assert code == 0, out
    for text in ("LogME *", "LEEP", "k-NN accuracy", "#1", "embedding, s", "Recommended: tiny-cnn"):
        assert text in out, text
    assert "Left out tiny-bert: it is a text backbone and the data holds images." in " ".join(
        out.split()
    )


def test_rank_json_is_machine_readable(text_table, capsys):
    code, out, _ = run(
        ["rank", text_table, "-m", "tiny-bert", "--scores", "logme,leep", "--format", "json"],
        capsys,
    )
    assert code == 0
    d = json.loads(out)
    assert d["examples"] == 40 and list(d["scores"]) == ["logme", "leep"]
    (bb,) = d["backbones"]
    assert bb["scores"]["logme"]["rank"] == 1 and bb["scores"]["leep"]["value"] is None


def test_rank_errors_are_one_line_without_a_traceback(text_table, capsys):
    code, _, err = run(["rank", text_table, "--models", "mobilenet_v2"], capsys)
    assert code == 2 and "Traceback" not in err
    message = " ".join(err.split())
    assert message.startswith("error: No backbone could be ranked on")
    assert "mobilenet_v2: it is an image backbone and the data holds texts" in message
    code, _, err = run(["rank", text_table, "-m", "tiny-bert", "--scores", "logmee"], capsys)
    assert code == 2 and "Unknown transferability score 'logmee'" in err
