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
# # Lab 4: from scratch against pretrained, and LoRA against the head alone
#
# *Reproduces modules 1-2 of the PracticumAI transfer-learning workshop.*
#
# **Part 1: images.** With at most 100 training images per class, a network trained from
# random weights has too little to learn from; one pretrained on ImageNet, frozen, with a
# new final layer, starts from features that already describe objects. The workshop
# expects about 40% against 80% on its many-class set. Its data set is not here, so we
# use the closest: the **photos of PACS-mini**, 7 classes (dog, elephant, giraffe, guitar,
# horse, house, person), 80 photos each: 60 per class to train on (well under 100),
# 20 per class to test on.
#
# **Part 2: text.** LoRA (Hu et al., 2021) freezes a pretrained encoder and learns small
# low-rank updates of its attention projections: a few hundred thousand trainable numbers
# instead of millions. Against training the new head alone, does adapting the encoder
# help? We use the workshop's settings (rank r=16, alpha=32, adapters on the attention
# projections) on SST-2 sentiment with all-MiniLM-L6-v2, a BERT-family encoder.

# %%
import matplotlib.pyplot as plt

import transferkit
from transferkit.evaluation.statistics import mean_ci, paired_difference
from transferkit.runtime import data_root

PHOTOS = data_root() / "pacs-mini" / "photo"
X_train, y_train, X_test, y_test = [], [], [], []
for folder in sorted(p for p in PHOTOS.iterdir() if p.is_dir()):
    files = sorted(str(f) for f in folder.glob("*.jpg"))
    X_test += files[:20]
    y_test += [folder.name] * 20
    X_train += files[20:]
    y_train += [folder.name] * (len(files) - 20)
print(f"{len(X_train)} training photos, {len(X_test)} test photos, {len(set(y_train))} classes")

# %% [markdown]
# ## Part 1: the same data, three seeds each
#
# A single run of each would be one draw: the seed decides the validation split carved
# from train, the initialisation and the order of the batches. Three seeds give a mean
# and an interval. The pretrained model is MobileNetV2 (ImageNet), frozen, with a new
# linear head (`linear-probe`). The scratch model is `image-cnn`, a small 4-block CNN at
# 64 px with random weights. A mobile network at 224 px from random weights did worse on
# this little data (timm's MobileNetV3-small: 0.46 against 0.61 after 15 epochs, one run
# each) at several times the cost per epoch on a CPU.

# %%
SCRATCH_MODEL = "image-cnn"
SCRATCH_EPOCHS = 10
SEEDS = [0, 1, 2]
runs = {"pretrained, frozen + new head": [], "from scratch": []}
for seed in SEEDS:
    common = dict(X_test=X_test, y_test=y_test, seed=seed)
    runs["pretrained, frozen + new head"].append(
        transferkit.fit(X_train, y_train, model="mobilenet_v2", strategy="linear-probe", **common)
    )
    runs["from scratch"].append(
        transferkit.fit(
            X_train,
            y_train,
            model=SCRATCH_MODEL,
            strategy="scratch",
            epochs=SCRATCH_EPOCHS,
            **common,
        )
    )
accuracy = {name: [r.accuracy for r in rs] for name, rs in runs.items()}
for name, accs in accuracy.items():
    mean, low, high = mean_ci(accs)
    runs_said = ", ".join(f"{a:.3f}" for a in accs)
    print(f"{name:30s} {mean:.3f} (95% interval {low:.3f}-{high:.3f}; runs {runs_said})")
gain = paired_difference(accuracy["pretrained, frozen + new head"], accuracy["from scratch"])
print(f"transfer gains {gain['mean']:.3f} (95% interval {gain['low']:.3f}-{gain['high']:.3f})")

# %%
assert min(accuracy["pretrained, frozen + new head"]) >= 0.85  # measured 0.964
assert gain["low"] > 0.2  # measured +0.393 [+0.270, +0.516]: scratch 0.54-0.63

# %% [markdown]
# The workshop's lesson holds with room to spare: with 60 photos per class, pretrained
# features win by far more than the seed-to-seed spread. (The probe's three runs agree
# exactly: its logistic head on fixed features, with its strength chosen by
# cross-validation on train, has nothing random left for the seed to change.) Where do
# the errors go? The test-set confusion matrices of the first seed (rows: true class,
# columns: predicted):

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
for ax, (name, rs) in zip(axes, runs.items(), strict=True):
    m = rs[0].metrics.main
    ax.imshow(m.confusion_matrix, cmap="Blues")
    ax.set_xticks(range(len(m.classes)), m.classes, rotation=45, ha="right")
    ax.set_yticks(range(len(m.classes)), m.classes)
    for i, row in enumerate(m.confusion_matrix):
        for j, n in enumerate(row):
            ax.text(j, i, n, ha="center", va="center", fontsize=8)
    ax.set_title(f"{name}: accuracy {m.accuracy:.2f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# The scratch network learns colours and backgrounds (houses against sky, elephants
# against grey), which is all 60 photos per class can teach; the pretrained features
# tell a dog from a horse because ImageNet taught them.
#
# ## Part 2: LoRA against the head alone, on text
#
# 512 training sentences of SST-2, validation for early stopping from its `dev.tsv`
# (at most 256), test on its 872 `test.tsv` sentences. The head alone: the frozen encoder's
# cached sentence embeddings and one linear layer. LoRA: adapters of rank 16 (alpha 32) on
# the query and value projections of every attention block, trained with the head, at
# most 6 epochs, stopping after 2 without validation gain.

# %%
SST2 = data_root() / "sst2"
text = dict(max_train=512, max_val=256, seed=0)
head_only = transferkit.fit(SST2, "all-MiniLM-L6-v2", "linear-probe", head="linear", **text)
lora = transferkit.fit(
    SST2, "all-MiniLM-L6-v2", "lora", rank=16, alpha=32, epochs=6, patience=2, **text
)
for name, r in [("head only", head_only), ("LoRA r=16", lora)]:
    low, high = r.metrics.main.accuracy_interval
    trainable = r.metrics.cost.trainable_parameters
    print(f"{name:10s} test {r.accuracy:.3f} ({low:.3f}-{high:.3f}), {trainable:,} trainable")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
for ax, (name, r) in zip(axes, [("head only", head_only), ("LoRA r=16", lora)], strict=True):
    h = r.metrics.history
    epochs = [e.epoch for e in h.epochs]
    ax.plot(epochs, [e.train_accuracy for e in h.epochs], "o-", label="train")
    ax.plot(epochs, [e.val_accuracy for e in h.epochs], "o-", label="validation")
    ax.axvline(h.best_epoch, color="grey", linestyle=":", label=f"kept: epoch {h.best_epoch}")
    ax.set_title(f"{name}{' (stopped early)' if h.stopped_early else ''}")
    ax.set_xlabel("epoch")
    ax.legend()
axes[0].set_ylabel("accuracy")
plt.tight_layout()
plt.show()

# %%
assert lora.accuracy >= 0.76, lora.accuracy  # measured 0.818
assert head_only.accuracy >= 0.68, head_only.accuracy  # measured 0.735

# %% [markdown]
# The learning curves show early stopping at work: validation accuracy stops improving
# while training accuracy keeps rising, and the model of the best validation epoch is
# kept. LoRA trains about 1% of what fine-tuning would, yet adapts the encoder itself,
# which the head alone cannot. This is one seed on one sample: before trusting a gap of a
# few points, run several (`transferkit compare` does, with intervals; lab 5).
#
# ## The same on the command line
#
# ```sh
# transferkit fit sst2/ --model all-MiniLM-L6-v2 --strategy lora --rank 16 --alpha 32 \
#     --epochs 6 --patience 2 --max-train 512 --max-val 256
# transferkit compare pacs-photo-split/ --model mobilenet_v2 \
#     --strategies linear-probe,scratch --sizes all --seeds 3
# ```
#
# ## Exercises
# 1. Give scratch more epochs (`SCRATCH_EPOCHS = 40`). How far does it get? What does
#    the gap between its training and validation accuracy say?
# 2. Fine-tune MobileNetV2 (`strategy="finetune"`) instead of freezing it. Does it beat
#    the frozen features with 60 photos per class?
# 3. Try LoRA with `rank=4`. How many trainable parameters, and what accuracy?
