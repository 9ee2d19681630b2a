"""Generative language models as backbones (``backbones.causal_lm``), on the random
``tiny-llama``: prompts, last-token features, the label-words head, and the strategies
that use them (``prompt``; ``lora`` with ``head=label-words``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import transferkit
from transferkit.backbones import create_backbone
from transferkit.errors import ConfigError, DataError, IncompatibleError
from transferkit.strategies.prompt import label_words_head, pick_examples


@pytest.fixture
def llama():
    backbone = create_backbone("tiny-llama")
    backbone.describe_task(["neg", "pos"])
    return backbone


def _features(backbone, texts):
    batch = backbone.collate([backbone.prepare(t) for t in texts])
    with torch.no_grad():
        return backbone.forward_features(batch)


def test_prompt_names_the_labels_and_ends_where_the_answer_begins(llama):
    prompt = llama.prepare("a good movie")
    assert "neg, pos" in prompt and "a good movie" in prompt
    assert prompt.endswith("<|assistant|>")
    long = " ".join(["very"] * 500)
    clipped = llama.prepare(long)  # the text is cut, never the instruction or the answer
    assert clipped.endswith("<|assistant|>") and clipped.count("very") == 48


def test_features_are_the_last_real_tokens_state_whatever_the_batch(llama):
    """Right padding must not leak into a text's features: alone or beside a longer text."""
    short, longer = "a good movie", "the plot was boring and the actor was awful and bad"
    alone = _features(llama, [short])
    together = _features(llama, [short, longer])
    torch.testing.assert_close(together[0], alone[0], rtol=1e-5, atol=1e-5)
    assert alone.shape == (1, llama.num_features)


def test_label_head_scores_are_the_models_next_token_scores(llama):
    """The label-words head computes what the causal LM itself says the next token is."""
    from transformers import LlamaForCausalLM

    head = label_words_head(llama, ["neg", "pos"], calibrate=False)
    texts = ["a good movie", "the worst film, boring plot"]
    logits = head(_features(llama, texts))
    lm = LlamaForCausalLM(llama.config)
    lm.model = llama.model
    lm.tie_weights()
    batch = llama.collate([llama.prepare(t) for t in texts])
    with torch.no_grad():
        out = lm(**batch).logits
    last = batch["attention_mask"].sum(1) - 1
    firsts = [llama.preprocessing.answer_tokens(label)[0] for label in ["neg", "pos"]]
    expected = out[torch.arange(2), last][:, firsts]
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-4)


def test_calibrated_label_head_scores_content_free_texts_alike(llama):
    """Contextual calibration: on texts that say nothing, no label is favoured on average,
    and the weights (the model's own label rows) are untouched."""
    from transferkit.backbones.causal_lm import CONTENT_FREE

    plain = label_words_head(llama, ["neg", "pos"], calibrate=False)
    calibrated = label_words_head(llama, ["neg", "pos"])
    assert torch.equal(plain.weight, calibrated.weight)
    scores = calibrated(_features(llama, list(CONTENT_FREE))).mean(dim=0)
    torch.testing.assert_close(scores, torch.zeros(2), rtol=0, atol=1e-5)
    assert not torch.allclose(plain(_features(llama, list(CONTENT_FREE))).mean(0), scores)


def test_labels_that_begin_alike_are_refused_with_the_fix(llama):
    with pytest.raises(DataError, match=r"begin with the same token.*label_names"):
        label_words_head(llama, ["positive one", "positive two"])


def test_examples_per_class_come_from_the_given_texts_seeded_and_interleaved():
    texts = [f"t{i}" for i in range(12)]
    labels = ["a", "b", "c"] * 4
    picked = pick_examples(texts, labels, ["a", "b", "c"], 2, seed=0)
    assert len(picked) == 6 and all(t in texts for t, _ in picked)
    assert sorted(y for _, y in picked) == ["a", "a", "b", "b", "c", "c"]
    assert len({t for t, _ in picked}) == 6  # never the same example twice
    assert pick_examples(texts, labels, ["a", "b", "c"], 2, seed=0) == picked
    assert pick_examples(texts, labels, ["a", "b", "c"], 2, seed=1) != picked


def test_prompt_strategy_trains_nothing_and_reloads_to_the_same_answers(text_splits, tmp_path):
    result = transferkit.fit(text_splits, "tiny-llama", "prompt", examples=2, out=tmp_path / "m")
    model = result.model
    assert model.classifier.trainable_parameters() == 0
    pretrained = create_backbone("tiny-llama")
    pretrained.describe_task(model.classes_)
    expected = label_words_head(pretrained, model.classes_).weight
    assert torch.equal(model.classifier.head.weight, expected)  # the model's own label rows
    examples = model.backbone.preprocessing.settings.examples
    assert len(examples) == 4 and set(t for t, _ in examples) <= set(result.splits.train.inputs)
    loaded = transferkit.load(tmp_path / "m")
    assert loaded.backbone.preprocessing.settings.examples == examples
    np.testing.assert_allclose(
        loaded.predict_proba(result.splits.test),
        model.predict_proba(result.splits.test),
        rtol=1e-5,
        atol=1e-6,
    )
    assert set(loaded.predict(["a good movie"])) <= {"neg", "pos"}


def test_prompt_needs_a_generative_model(text_splits):
    with pytest.raises(IncompatibleError, match="needs a generative language model"):
        transferkit.fit(text_splits, "tiny-bert", "prompt")


def test_lora_with_the_label_words_head_starts_from_the_models_own_scores(text_splits, tmp_path):
    start = create_backbone("tiny-llama")
    start.describe_task(["neg", "pos"])
    zero_shot = label_words_head(start, ["neg", "pos"]).weight.detach().clone()
    result = transferkit.fit(
        text_splits,
        "tiny-llama",
        "lora",
        head="label-words",
        epochs=1,
        patience=None,
        out=tmp_path / "m",
    )
    head = result.model.classifier.head.weight.detach()
    assert head.shape == zero_shot.shape
    assert not torch.equal(head, zero_shot)  # trained ...
    assert torch.allclose(head, zero_shot, atol=0.1)  # ... from the label words' rows
    # forgetting: the language model's perplexity and answers, before (the pretrained
    # model's own) and after (changed by the adapters)
    from transferkit.evaluation.general_prompts import PROMPTS
    from transferkit.evaluation.paraphrases import PAIRS

    f = result.metrics.forgetting
    general = [s for pair in PAIRS for s in pair]
    assert f.perplexity_before == pytest.approx(start.perplexity(general), rel=1e-5)
    assert f.perplexity_after != pytest.approx(f.perplexity_before, rel=1e-6)
    assert [a["prompt"] for a in f.answers] == list(PROMPTS)
    assert [a["before"] for a in f.answers] == start.complete(list(PROMPTS))
    page = (tmp_path / "m" / "report.html").read_text()
    assert "answers to general questions" in page and "What do bees make?" in page


def test_label_names_rename_every_split(text_splits):
    result = transferkit.fit(
        text_splits, "tiny-bert", "linear-probe", label_names=["neg=negative", "pos=positive"]
    )
    assert result.model.classes_ == ["negative", "positive"]
    assert set(result.splits.test.labels) == {"negative", "positive"}
    with pytest.raises(DataError, match="no example has as its label"):
        transferkit.fit(text_splits, "tiny-bert", "linear-probe", label_names=["bad=x"])
    with pytest.raises(ConfigError, match="OLD=NEW"):
        transferkit.fit(text_splits, "tiny-bert", "linear-probe", label_names=["neg"])


def _full_lm(backbone):
    """The causal LM with its output layer, around the backbone's own decoder."""
    from transformers import LlamaForCausalLM

    lm = LlamaForCausalLM(backbone.config)
    lm.model = backbone.model
    lm.tie_weights()
    return lm.eval()


def test_perplexity_is_the_language_models_own(llama):
    """The forgetting probe's perplexity is exp of the loss transformers computes for the
    same texts, whatever texts share a batch (padding must not count)."""
    texts = ["the cat sat on the mat", "a long and winding road to the sea and back"]
    lm = _full_lm(llama)
    tok = llama.preprocessing.tokenizer
    nll, count = 0.0, 0
    with torch.no_grad():
        for t in texts:
            ids = tok(t, return_tensors="pt")["input_ids"]
            n = ids.shape[1] - 1
            nll += float(lm(input_ids=ids, labels=ids).loss) * n
            count += n
    expected = float(np.exp(nll / count))
    assert llama.perplexity(texts, batch_size=2) == pytest.approx(expected, rel=1e-4)
    assert llama.perplexity(texts, batch_size=1) == pytest.approx(expected, rel=1e-4)


def test_complete_is_greedy_generation_in_the_chat_template(llama):
    lm = _full_lm(llama)
    tok = llama.preprocessing.tokenizer
    prompt = "What is the capital of France?"
    text = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        out = lm.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=6,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
        )
    expected = tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()
    assert llama.complete([prompt], max_new_tokens=6) == [expected]
