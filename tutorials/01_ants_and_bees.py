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
# # Lab 1: ants or bees? Fine-tuning against a fixed feature extractor
#
# *Reproduces the PyTorch transfer-learning tutorial (ants/bees, `hymenoptera`).*
#
# A CNN pretrained on ImageNet (1.3 million photos, 1,000 classes) already knows edges,
# textures and insect legs. We have 245 training photos of two classes. Two ways to reuse
# the network:
#
# * **fixed feature extractor** (`linear-probe`): freeze every pretrained weight, compute
#   each photo's features once, and train only a new final layer on them;
# * **fine-tuning** (`finetune`): start from the pretrained weights and keep training all
#   of them (slowly) together with the new final layer.
#
# The original uses ResNet18 with torchvision's ImageNet weights, which download from the
# internet; here **MobileNetV2** with torchvision's own ImageNet weights is installed
# offline (`transferkit fit ... --model torchvision:resnet18` runs the original where
# the weights can be downloaded).
#
# **One honest difference.** The original keeps the epoch with the best accuracy on
# `val/` and then reports accuracy on that same `val/`: the split chose the model, so its
# figure flatters it. transferkit keeps `val/` untouched as the **test** split
# (`test_split="val"`) and chooses epochs on a validation split carved from `train/`.

# %%
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

import transferkit
from transferkit.runtime import data_root

ANTS = data_root() / "hymenoptera"
probe = transferkit.fit(ANTS, "mobilenet_v2", "linear-probe", test_split="val", out="ants-probe")
print(f"fixed feature extractor: test accuracy {probe.accuracy:.3f}, {probe.metrics.main.n} photos")

# %% [markdown]
# The features were computed once and cached; a second run with other head settings
# reuses them and costs a fraction of a second.
#
# ## Fine-tuning, epoch by epoch
#
# Three epochs keep this tutorial quick (the default is up to 10, stopping early after 3
# epochs without gain on validation; the README's demo, `make demo`, runs the default).

# %%
tuned = transferkit.fit(
    ANTS, "mobilenet_v2", "finetune", test_split="val", epochs=3, out="ants-finetuned"
)
history = tuned.metrics.history
for e in history.epochs:
    print(
        f"epoch {e.epoch}: train loss {e.train_loss:.3f} acc {e.train_accuracy:.3f} | "
        f"val loss {e.val_loss:.3f} acc {e.val_accuracy:.3f} ({e.seconds:.0f} s)"
    )
print(f"kept epoch {history.best_epoch} (best validation accuracy, loss breaking ties)")
print(f"fine-tuned: test accuracy {tuned.accuracy:.3f}")

# %%
epochs = [e.epoch for e in history.epochs]
fig, (loss, acc) = plt.subplots(1, 2, figsize=(10, 3.5))
loss.plot(epochs, [e.train_loss for e in history.epochs], "o-", label="train")
loss.plot(epochs, [e.val_loss for e in history.epochs], "o-", label="validation")
acc.plot(epochs, [e.train_accuracy for e in history.epochs], "o-", label="train")
acc.plot(epochs, [e.val_accuracy for e in history.epochs], "o-", label="validation")
loss.set_title("loss")
acc.set_title("accuracy")
for ax in (loss, acc):
    ax.set_xlabel("epoch")
    ax.legend()
plt.tight_layout()
plt.show()

# %%
assert probe.accuracy >= 0.93, probe.accuracy  # measured 0.961
assert tuned.accuracy >= 0.90, tuned.accuracy  # measured 0.954 (5 epochs)

# %% [markdown]
# Both land within a couple of points of each other: with 245 photos and an ImageNet
# backbone that has seen many insects, the fixed features already separate the classes,
# and fine-tuning has little room to add. Each test accuracy comes with an interval
# (153 photos are few), and fine-tuning's report says how it compares with a probe on the
# same photos:

# %%
for name, r in [("linear-probe", probe), ("finetune", tuned)]:
    low, high = r.metrics.main.accuracy_interval
    print(f"{name:13s} {r.accuracy:.3f}  (95% interval {low:.3f}-{high:.3f})")

# %% [markdown]
# ## Why the original's figure flatters it
#
# Take the cached features and try 12 regularisation strengths for the final layer.
# Picking the one that scores best on `val/` and reporting `val/` (the original's way)
# is a maximum over 12 tries on the same 153 photos. Choosing it by cross-validation on
# `train/` and then scoring `val/` once is the honest figure.

# %%
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

model = probe.model
train, test = probe.splits.train, probe.splits.test
X_train, X_test = model.embed(train), model.embed(test)
strengths = np.logspace(-4, 2, 12)


def head(c):
    return LogisticRegression(C=c, max_iter=2000).fit(X_train, train.labels)


on_test = [head(c).score(X_test, test.labels) for c in strengths]
on_cv = [
    cross_val_score(LogisticRegression(C=c, max_iter=2000), X_train, train.labels).mean()
    for c in strengths
]
chosen = strengths[int(np.argmax(on_cv))]
print(f"best of 12 on val/, reported on val/:   {max(on_test):.3f}  (optimistic)")
print(f"chosen on train/ by CV, scored on val/: {head(chosen).score(X_test, test.labels):.3f}")

# %% [markdown]
# ## Look at the predictions
#
# A grid of test photos, captioned with the fine-tuned model's prediction and its
# calibrated probability (red: wrong).

# %%
model = transferkit.load("ants-finetuned")
photos = test.inputs[::19][:8]
truth = test.labels[::19][:8]
proba = model.predict_proba(photos)
fig, axes = plt.subplots(2, 4, figsize=(12, 6))
for ax, photo, label, p in zip(axes.flat, photos, truth, proba, strict=True):
    guess = model.classes_[int(np.argmax(p))]
    ax.imshow(Image.open(photo).convert("RGB"))
    ax.set_title(f"{guess} ({p.max():.2f})", color="black" if guess == label else "red")
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The same on the command line
#
# `fit` prints the test accuracy and a per-class table and writes the model folder with
# `report.html` (learning curves, confusion matrix, the most confident mistakes).

# %%
# !transferkit fit "$ANTS" -m mobilenet_v2 --strategy linear-probe --test-split val --out ants-cli

# %% [markdown]
# ## Exercises
# 1. Fine-tune with `partial`, which freezes the lower blocks (`transferkit strategies
#    partial` lists its options). Is it faster? Is it as accurate?
# 2. Run `finetune` with three seeds (`seed=0, 1, 2`). How much does test accuracy move
#    between seeds, compared with the gap between the two strategies?
# 3. Train with `max_train=20` (10 photos per class). Which strategy holds up better?
