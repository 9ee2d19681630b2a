"""Generation (``fit --task generate``): the metrics, the pairs and their splits, the loss
on response tokens only, and the whole run on the random ``tiny-llama``, which cannot
answer before training and learns to copy a colour word after it; its model directory of
adapters alone, reloaded on the same base and refused on another."""

from __future__ import annotations

import json
import random

import pytest

from transferkit.backbones import create_backbone
from transferkit.errors import DataError, ModelDirError
from transferkit.evaluation.generation import exact_match, normalize, score_generations, token_f1
from transferkit.generation.generator import ADAPTER, MERGED, RECORD, Generator
from transferkit.generation.pairs import load_pair_splits
from transferkit.generation.tuning import IGNORE, _collate, chat_prefix, encode_pair, length_buckets
from transferkit.workflows.generate import fit_generate


def test_exact_match_and_token_f1_normalise_as_squad_does():
    assert normalize("The  Eiffel Tower!") == "eiffel tower"
    assert exact_match("the eiffel tower.", "Eiffel Tower") == 1.0
    assert exact_match("Eiffel", "Eiffel Tower") == 0.0
    # precision 1/1, recall 1/2
    assert token_f1("Eiffel", "Eiffel Tower") == pytest.approx(2 / 3)
    assert token_f1("Paris France", "Lyon") == 0.0
    m = score_generations(["red", "blue", "green!"], ["red", "red", "blue"], ["red", "blue"])
    assert m.exact_match == pytest.approx(1 / 3) and m.invalid_rate == pytest.approx(1 / 3)
    assert m.exact_match_ci[0] <= m.exact_match <= m.exact_match_ci[1]
    free = score_generations(["a b"], ["a b"], [f"title {i}" for i in range(50)])
    assert free.invalid_rate is None  # 50 distinct responses are not labels


def _colours(n: int = 120, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    responses = [rng.choice(["red", "blue"]) for _ in range(n)]
    return [f"the ball {i} is {c}" for i, c in enumerate(responses)], responses


def test_pairs_are_read_split_and_left_out_when_empty(tmp_path):
    rows = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(30)]
    rows += [{"question": "no answer", "answer": ""}]
    table = tmp_path / "pairs.jsonl"
    table.write_text("\n".join(json.dumps(r) for r in rows))
    splits = load_pair_splits(table, seed=3)
    sizes = len(splits.train), len(splits.val), len(splits.test)
    assert sum(sizes) == 30 and sizes == (19, 5, 6)
    seen = splits.train.prompts + splits.val.prompts + splits.test.prompts
    assert sorted(seen) == sorted(f"q{i}" for i in range(30))  # disjoint and complete
    assert any("1 rows" in n for n in splits.notes)
    assert load_pair_splits(table, seed=3).test.prompts == splits.test.prompts  # seeded
    assert load_pair_splits(table, seed=4).test.prompts != splits.test.prompts
    with pytest.raises(DataError, match="--text-column PROMPT"):
        (tmp_path / "bad.csv").write_text("a,b\nx,y\n")
        load_pair_splits(tmp_path / "bad.csv")


def test_loss_falls_on_the_response_tokens_only():
    llama = create_backbone("tiny-llama")
    prefix = chat_prefix(llama, "the ball is red", "Say the colour.", 64)
    assert prefix.endswith("<|assistant|>") and "Say the colour." in prefix
    ids, start = encode_pair(llama, prefix, "red")
    _, _, labels = _collate([(ids, start), (ids[:-2], start)], pad=0)
    assert (labels[0, :start] == IGNORE).all() and (labels[0, start:] != IGNORE).all()
    assert labels[0, -1] == llama.preprocessing.tokenizer.eos_token_id  # the end of turn
    assert (labels[1, len(ids) - 2 :] == IGNORE).all()  # padding carries no loss
    batches = length_buckets([5, 1, 9, 3, 7, 2, 8], batch_size=2, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(7))
    assert batches == length_buckets([5, 1, 9, 3, 7, 2, 8], batch_size=2, seed=0)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """Measured: zero- and 2-shot exact match 0.000, LoRA 1.000 on 24 test pairs (lr 0.03,
    20 epochs: the random model's output rows are tiny and untrained)."""
    out = tmp_path_factory.mktemp("gen") / "model"
    result = fit_generate(
        _colours(), "tiny-llama", out=out, epochs=20, lr=0.03, patience=None,
        instruction="Say the colour.", max_new_tokens=4, merge=True,
    )  # fmt: skip
    return result, out


def test_adapting_beats_prompting_and_forgetting_is_measured(tuned):
    result, _ = tuned
    by = {m.name: m.metrics for m in result.methods}
    assert list(by) == ["zero-shot", "2-shot", "lora"]
    assert by["zero-shot"].exact_match < 0.2 and by["2-shot"].exact_match < 0.2
    assert by["lora"].exact_match >= 0.9 and by["lora"].invalid_rate <= 0.1
    assert result.history.val_loss[-1] < result.history.val_loss[0]
    assert result.perplexity_after != pytest.approx(result.perplexity_before, rel=1e-6)
    assert len(result.answers) == 6


def test_the_directory_holds_the_adapters_alone_and_reloads_to_the_same_answers(tuned):
    result, out = tuned
    test = result.splits.test.prompts
    loaded = Generator.load(out)
    assert loaded.generate(test) == result.adapted.outputs
    from safetensors.torch import load_file

    names = set(load_file(str(out / ADAPTER)))
    assert names and all("lora_" in n for n in names)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["methods"]["lora"]["exact_match"] == result.adapted.metrics.exact_match
    # merged: a plain transformers folder that transferkit (or anyone) reads as a model
    merged = create_backbone(str(out / MERGED))
    texts = [loaded.prefix(p) for p in test[:4]]
    assert merged.continue_texts(texts, 4) == result.adapted.outputs[:4]


def test_a_directory_is_refused_on_another_base_or_when_changed(tuned, tmp_path):
    import shutil

    _, out = tuned
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    record = json.loads((copy / RECORD).read_text())
    record["base_fingerprint"] = "0" * 32
    (copy / RECORD).write_text(json.dumps(record))
    with pytest.raises(ModelDirError, match="not the base model"):
        Generator.load(copy)
    record["base"] = "/somewhere/else"
    (copy / RECORD).write_text(json.dumps(record))
    with pytest.raises(ModelDirError, match="name it again"):
        Generator.load(copy)
    data = bytearray((copy / ADAPTER).read_bytes())
    data[-1] ^= 1
    (copy / ADAPTER).write_bytes(bytes(data))
    with pytest.raises(ModelDirError, match="damaged or was changed"):
        Generator.load(copy)


def test_generate_needs_a_generative_model():
    with pytest.raises(DataError, match="not a generative language model"):
        fit_generate(_colours(20), "tiny-bert", epochs=1)


def test_the_command_line_trains_and_answers(tmp_path, capsys):
    from tests.cli.test_cli import run

    table = tmp_path / "pairs.csv"
    prompts, responses = _colours(40)
    table.write_text(
        "prompt,response\n" + "".join(f"{p},{r}\n" for p, r in zip(prompts, responses, strict=True))
    )
    args = ["fit", str(table), "--task", "generate", "-m", "tiny-llama", "--epochs", "1"]
    code, stdout, stderr = run([*args, "--examples", "0", "-o", str(tmp_path / "m")], capsys)
    assert code == 0, stderr
    assert "zero-shot" in stdout and "lora" in stdout and "perplexity" in stdout
    code, stdout, _ = run(["generate", str(tmp_path / "m"), "the ball 3 is red"], capsys)
    assert code == 0 and "the ball 3 is red" in stdout
    code, _, stderr = run([*args, "--strategy", "lora"], capsys)
    assert code == 2 and "--strategy does not apply to --task generate" in stderr
    code, _, stderr = run([*args, "--epoch", "1"], capsys)
    assert code == 2 and "transferkit strategies generate" in stderr


def test_predict_answers_with_a_generator_and_the_classifier_commands_refuse_it(
    tuned, tmp_path, capsys
):
    from tests.cli.test_cli import run
    from transferkit import load

    result, out = tuned
    test = result.splits.test.prompts[:3]
    assert load(out).generate(test) == result.adapted.outputs[:3]
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(test) + "\n")
    code, stdout, stderr = run(["predict", str(out), str(prompts), "--format", "json"], capsys)
    assert code == 0, stderr
    rows = json.loads(stdout)
    assert [r["prompt"] for r in rows] == test
    assert [r["response"] for r in rows] == result.adapted.outputs[:3]
    code, _, _ = run(["predict", str(out), test[0], "-o", str(tmp_path / "a.csv")], capsys)
    assert code == 0 and (tmp_path / "a.csv").read_text().startswith(test[0])
    # adapters of a base given by path: predict names the base again with --base
    import shutil

    by_path = tmp_path / "by-path"
    shutil.copytree(out, by_path, ignore=shutil.ignore_patterns(MERGED))
    record = json.loads((by_path / RECORD).read_text())
    (by_path / RECORD).write_text(json.dumps({**record, "base": "/models/my-llama"}))
    code, _, stderr = run(["predict", str(by_path), test[0]], capsys)
    assert code != 0 and "--base PATH" in stderr and "Traceback" not in stderr
    code, stdout, stderr = run(
        ["predict", str(by_path), str(prompts), "--base", "tiny-llama", "--format", "json"], capsys
    )
    assert code == 0, stderr
    assert [r["response"] for r in json.loads(stdout)] == result.adapted.outputs[:3]
    exported = str(tmp_path / "x")
    for args in (["evaluate", str(out), str(prompts)], ["export", str(out), "-o", exported]):
        code, _, stderr = run(args, capsys)
        assert code != 0 and "is a generator (fit --task generate)" in stderr
        assert "Traceback" not in stderr
    assert not (tmp_path / "x").exists()


def test_serve_answers_prompts_with_the_generators_completions(tuned):
    from tests.serving.test_serve import Server

    result, out = tuned
    test = result.splits.test.prompts[:3]
    server = Server(out, "--max-items", "4")
    try:
        head = {"Content-Type": "application/json"}
        body = json.dumps({"prompts": test}).encode()
        code, got = server.request("POST", "/generate", body, head)
        assert code == 200 and got["completions"] == result.adapted.outputs[:3]
        code, meta = server.get("/metadata")
        assert meta["kind"] == "generator" and meta["sha256"] == got["model"]
        assert meta["training"]["methods"]["lora"]["exact_match"] >= 0.9
        for payload, status, says in (
            (b"not json", 422, "not JSON"),
            (json.dumps({"texts": "red"}).encode(), 422, '"texts" must be a list'),
            (json.dumps({"prompts": [""]}).encode(), 422, "prompts[0] is an empty text"),
            (json.dumps({"prompts": ["a"] * 5}).encode(), 413, "at most 4"),
        ):
            code, got = server.request("POST", "/generate", payload, head)
            assert code == status and says in got["detail"], got
        code, got = server.post({"texts": test})  # a classifier's request, to a generator
        assert code == 422 and "/generate" in got["detail"]
        code, _ = server.get("/ready")
        assert code == 200  # nothing a client sent stopped it
    finally:
        server.stop()
