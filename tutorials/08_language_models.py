# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 8: a generative language model, prompted against adapted with LoRA
#
# *The workshop's "transfer learning in LLMs": LoRA on a model that writes text.*
#
# A generative LLM can classify without any training: ask it, and read which label it
# would write. That is **zero-shot prompting**, the baseline any adaptation of the same
# model has to beat. **LoRA** (Hu et al., 2021) then trains small low-rank updates of the
# attention's query and value projections (a third of a percent of the model) so the
# model writes the right label more often. And adapting a model can cost it what it knew,
# so we also measure **forgetting**: its perplexity on general text, and its answers to a
# few general questions, before and after.
#
# The model is SmolLM2-135M-Instruct (135 million parameters, Apache-2.0; installed from
# the package registry, it runs offline). The task is SST-2 sentiment: the labels become
# the words `negative` and `positive`, so the model scores only those two words and can
# never write an invalid answer.

# %%
import matplotlib.pyplot as plt
import numpy as np

import transferkit
from transferkit.data.load import read_dataset
from transferkit.runtime import data_root

SST2 = data_root() / "sst2"
WORDS = {"0": "negative", "1": "positive"}
train, dev, test = (read_dataset(SST2, split=s) for s in ("train", "dev", "test"))
rng = np.random.default_rng(0)
held_out = rng.choice(len(test), 150, replace=False)  # the test split: 150 sentences
checks = rng.choice(len(dev), 64, replace=False)  # validation, for early stopping
given = dict(
    X_test=[test.inputs[i] for i in held_out],
    y_test=[WORDS[test.labels[i]] for i in held_out],
    X_val=[dev.inputs[i] for i in checks],
    y_val=[WORDS[dev.labels[i]] for i in checks],
)
texts, labels = train.inputs, [WORDS[y] for y in train.labels]
print(f"{len(texts):,} training sentences to sample from")
print(f"{len(held_out)} test sentences, {len(checks)} validation")

# %% [markdown]
# ## Zero-shot: ask, and read the answer
#
# Strategy `prompt` wraps each sentence in the model's own chat template ("Classify the
# text. Answer with one word: negative, positive.") and compares the model's scores of the
# two label words where its answer begins (calibrated on content-free inputs, so the
# model's bias towards one word is removed). Nothing is trained; `shots=32` only draws the
# sample the LoRA run below trains on, so both are given the same data.

# %%
LLM = "smollm2-135m-instruct"
sample = dict(shots=32, seed=0, **given)
zero = transferkit.fit(texts, labels, model=LLM, strategy="prompt", **sample)
low, high = zero.metrics.main.accuracy_interval
print(f"zero-shot: test accuracy {zero.accuracy:.3f} (95% interval {low:.3f}-{high:.3f})")

# %% [markdown]
# ## LoRA: teach it to write the right word
#
# `lora` with `head="label-words"` starts from exactly the zero-shot classifier (the
# model's own output rows for the two words) and trains rank-8 adapters on 32 sentences
# per class, keeping the epoch of the best validation accuracy.

# %%
lora = transferkit.fit(
    texts, labels, model=LLM, strategy="lora", head="label-words",
    rank=8, alpha=16, epochs=3, patience=2, batch_size=8, **sample,
)  # fmt: skip
low, high = lora.metrics.main.accuracy_interval
trainable = lora.metrics.cost.trainable_parameters
print(f"LoRA:      test accuracy {lora.accuracy:.3f} (95% interval {low:.3f}-{high:.3f})")
print(f"{trainable:,} trainable parameters")

# %%
h = lora.metrics.history
epochs = [e.epoch for e in h.epochs]
plt.figure(figsize=(5.5, 3.5))
plt.plot(epochs, [e.train_accuracy for e in h.epochs], "o-", label="train")
plt.plot(epochs, [e.val_accuracy for e in h.epochs], "o-", label="validation")
plt.axhline(zero.accuracy, color="grey", linestyle="--", label="zero-shot (test)")
plt.axvline(h.best_epoch, color="grey", linestyle=":", label=f"kept: epoch {h.best_epoch}")
plt.xlabel("epoch")
plt.ylabel("accuracy")
plt.legend()
plt.tight_layout()
plt.show()

# %%
assert zero.accuracy >= 0.72, zero.accuracy  # measured 0.780
assert lora.accuracy >= 0.73, lora.accuracy  # measured 0.787

# %% [markdown]
# Measured here: zero-shot 0.780, LoRA 0.787, one seed on 150 test sentences. The two
# intervals overlap almost entirely: three epochs on 32 sentences per class did not make
# this model a better judge of movie reviews than simply asking it. That is a result,
# not a failure of the code: on SST-2 this model's zero-shot answer is already strong.
# The benchmark behind the README's table ran 3 seeds on 400 test
# sentences: at 64 per class LoRA was ahead of zero-shot in every seed, but the paired
# interval of the gain crossed zero (+0.062 [−0.040, +0.165]); on the longer Amazon
# kitchen reviews the gain was clear (0.947 against 0.810). Read a single comparison
# like this one as a hint, and run seeds before you believe a few points either way.
#
# ## What did adapting cost the model?
#
# The adapters change how the model reads every text, not only reviews. transferkit
# measures that in every fit that changes an LLM: perplexity on general text (the
# exponent of the average loss per token: lower means the text looks more expected) and
# the greedy answers to six general questions, before and after.

# %%
forgot = lora.metrics.forgetting
before, after = forgot.perplexity_before, forgot.perplexity_after
print(f"perplexity on general text: {before:.1f} -> {after:.1f}")
for row in forgot.answers[:3]:
    print(f"\n{row['prompt']}\n  before: {row['before']}\n  after:  {row['after']}")

# %% [markdown]
# Measured here: perplexity rose a little (156.8 to 158.7), and one general answer got
# worse: "The capital of France is Paris." became a list of French words ("L'Étoile, la
# Cité, la France, ..."). Three epochs on 64 movie-review sentences already bent
# what the model says about the world: forgetting, at small scale. A larger rise, or
# answers that turn into sentiment words, would be catastrophic forgetting, and a reason
# to lower the learning rate, the rank or the epochs (exercise 3).
#
# ## The same on the command line, and generation
#
# ```sh
# transferkit fit sst2/ -m smollm2-135m-instruct --strategy prompt \
#     --label-names 0=negative,1=positive
# transferkit fit sst2/ -m smollm2-135m-instruct --strategy lora --head label-words \
#     --label-names 0=negative,1=positive --shots 32
# ```
#
# The model can also learn to *write* free text: `fit --task generate` trains LoRA on
# prompt and response pairs and scores it against zero- and k-shot prompting by exact
# match and token F1 (the README's "Generation" section: Wikipedia summary to its title,
# exact match 0.632 against 2-shot's 0.307).
#
# ## Exercises
# 1. Give LoRA 64 sentences per class (`shots=64`) and 8 epochs. Does the gap over
#    zero-shot grow? Run seeds 0, 1 and 2 and compute the paired differences.
# 2. Try `strategy="prompt", examples=2` (two worked examples per class in the prompt).
#    Does a model this small learn from examples in its prompt?
# 3. Raise LoRA's learning rate tenfold (`lr=...`). What happens to the perplexity?
