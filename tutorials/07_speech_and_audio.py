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
# # Speech and audio: one recording, two questions, and the encoder that fits each
#
# *Transfer learning on sound, with the same tools as images and text.*
#
# A pretrained audio encoder learnt to hear *something*: Whisper (tiny.en) learnt to
# transcribe English, so it hears **what is said**; Resemblyzer learnt to tell voices
# apart, so it hears **who is speaking** and is trained to ignore the words. Which one
# to start from depends on the question you ask of your recordings, and there is a
# baseline that needs no pretraining at all: **MFCC statistics** (the classic hand-made
# description of a sound's spectrum, 80 numbers per recording) with a linear classifier.
#
# The data: the Free Spoken Digit Dataset (FSDD), six speakers saying the digits 0-9.
# To keep the lab short we take the first ten takes of every digit by every speaker
# (600 of its 3,000 recordings, the same 600 as lab 5); the exercise runs all of them.
# One table describes the recordings, one row each: its file, the digit said and the
# speaker. transferkit reads recordings from such a table (or from a folder of class
# folders, as for images).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import transferkit
from transferkit.runtime import data_root

RECORDINGS = sorted((data_root() / "fsdd" / "recordings").glob("*.wav"))
rows = []
for f in RECORDINGS:
    digit, speaker, take = f.stem.split("_")
    if int(take) < 10:
        rows.append({"path": str(f.resolve()), "digit": digit, "speaker": speaker, "take": take})
table = pd.DataFrame(rows)
table.drop(columns="take").to_csv("fsdd.csv", index=False)
print(table.groupby("speaker").size().to_string())

# %% [markdown]
# ## Two questions, four encoders
#
# **What was said?** Train on five speakers, test on the sixth (theo), whom the model never
# heard: a digit recogniser is useful only if it works for a new voice.
# (`group_column="speaker", test_group="theo"`; validation carved from train never shares
# a speaker with it either.)
#
# **Who is speaking?** Train on takes 0-6 of every speaker, test on takes 7-9: the same
# six voices, recordings the model has not heard. Two tables in one folder, `train.csv`
# and `test.csv`, are read as the two splits.
#
# The encoders: `mfcc` (the baseline: nothing pretrained), `whisper-tiny.en` (Whisper's
# last layer, averaged over time), `whisper-tiny.en-layers` (every layer of Whisper's
# encoder, averaged: the middle layers keep more of the sound itself) and `resemblyzer`.
# Each is frozen, with a logistic-regression head on its features (`linear-probe`).

# %%
Path("speakers").mkdir(exist_ok=True)
held_back = table["take"].astype(int) >= 7
table[~held_back].drop(columns="take").to_csv("speakers/train.csv", index=False)
table[held_back].drop(columns="take").to_csv("speakers/test.csv", index=False)

ENCODERS = ["mfcc", "whisper-tiny.en", "whisper-tiny.en-layers", "resemblyzer"]
results = {}
for encoder in ENCODERS:
    digits = transferkit.fit(
        "fsdd.csv",
        encoder,
        "linear-probe",
        label_column="digit",
        group_column="speaker",
        test_group="theo",
    )
    speakers = transferkit.fit("speakers", encoder, "linear-probe", label_column="speaker")
    results[encoder] = {"what was said": digits.accuracy, "who is speaking": speakers.accuracy}
accuracy = pd.DataFrame(results).T
print(f"test accuracy ({len(digits.splits.test)} and {len(speakers.splits.test)} recordings)")
print(accuracy.round(3).to_string())

# %%
# floors below the run measured for this tutorial (in brackets), with room for noise
assert accuracy.loc["whisper-tiny.en-layers", "what was said"] >= 0.9  # [0.98]
assert accuracy.loc["resemblyzer", "who is speaking"] >= 0.9  # [0.989]
assert (
    accuracy.loc["whisper-tiny.en-layers", "what was said"] > accuracy.loc["mfcc", "what was said"]
)
assert accuracy.loc["resemblyzer", "what was said"] < accuracy.loc["mfcc", "what was said"]

# %% [markdown]
# Read the table by columns. For *what was said*, on a voice it never heard, Whisper
# (0.98) is far above the hand-made MFCC features (0.76), and the speaker encoder (0.39)
# far below them: it was trained to ignore the words. For *who is speaking*, six voices
# recorded in the same sessions, MFCC alone is perfect (1.000) and every encoder is
# close; Whisper's last layer, tuned to transcribe whoever speaks, is the lowest (0.956):
# it has thrown away part of the voice, which its averaged layers (0.994) keep. The right
# source model depends on the question, and a baseline with nothing pretrained can be
# the one to beat.
#
# ## Does transfer help? Against the baseline, with several seeds
#
# One accuracy per encoder is one draw. `compare` trains the probe and the baseline on
# 16 recordings per class with three seeds each, on the same samples, and says whether
# the gain is beyond the noise of the seeds *and* of the test split: here, whether
# Whisper's last layer helps tell speakers apart.

# %%
study = transferkit.compare(
    "speakers",
    "whisper-tiny.en",
    ["linear-probe", "scratch"],
    [16],
    seeds=3,
    scratch_model="mfcc",
    label_column="speaker",
)
verdict = study.verdicts[0]
probe, mfcc = study.cell("linear-probe", "16").mean, study.cell("scratch", "16").mean
print(f"Whisper probe {probe:.3f}, MFCC alone {mfcc:.3f} (means over 3 seeds)")
print(verdict.sentence)

# %%
assert verdict.kind == "negative"  # measured: -0.128 [-0.248, -0.008] against MFCC

# %% [markdown]
# **Negative transfer**: with 16 recordings per speaker, Whisper's last layer (0.80) does
# worse than 80 hand-made numbers per recording (0.93), by more than the seeds and the
# 180 test recordings can explain. A lab that reported Whisper's accuracy alone (far above
# the 1 in 6 of guessing) would have called it a success.
#
# ## The recordings through each encoder's ears
#
# `explore` maps the recordings to 2-D and clusters them (k-means, one cluster per class
# of the label it is given). Each encoder's map, coloured by the digit and by the speaker:

# %%
maps = {
    "whisper-tiny.en-layers": transferkit.explore(
        "fsdd.csv", "whisper-tiny.en-layers", label_column="digit"
    ),
    "resemblyzer": transferkit.explore("fsdd.csv", "resemblyzer", label_column="speaker"),
}
fig, axes = plt.subplots(2, 2, figsize=(11, 10))
for row, (encoder, found) in zip(axes, maps.items(), strict=True):
    for ax, column in zip(row, ["digit", "speaker"], strict=True):
        by = dict(zip(table.path, table[column], strict=True))
        values = np.array([by[str(p)] for p in found.inputs])
        for value in sorted(set(values)):
            ax.scatter(*found.points[values == value].T, s=8, label=value)
        ax.set_title(f"{encoder}, coloured by {column}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=7, markerscale=2, ncol=2)
plt.tight_layout()
plt.show()
for encoder, found in maps.items():
    print(
        f"{encoder}: {found.k} clusters against the {found.k} classes, "
        f"adjusted Rand index {found.cluster_ari:.3f}"
    )

# %%
assert maps["resemblyzer"].cluster_ari >= 0.8  # [0.964]

# %% [markdown]
# Whisper's map groups the recordings by digit across the six voices (adjusted Rand
# index 0.76 of its 10 clusters against the digits); the speaker encoder's groups them by
# voice (0.96 against the speakers), every digit mixed inside. What an encoder was
# pretrained for shows before any classifier is trained.
#
# ## The same on the command line
#
# Train a speaker identifier, save it, and ask it about a recording it has not heard:

# %%
OPTIONS = "--model resemblyzer --strategy linear-probe --label-column speaker"
# !transferkit fit speakers $OPTIONS --out speaker-id --overwrite
one = table[held_back].iloc[0].path
# !transferkit predict speaker-id "$one"

# %% [markdown]
# The answer is right, and its confidence can be read as a probability because of the
# run's calibration line. The logistic head is strongly regularised, so its own
# probabilities are soft: about 0.25 for a model that is right 99% of the time (expected
# calibration error on test 0.78). Temperature scaling, fitted on the cross-validated
# predictions on train and kept only because it lowered the log-loss of predictions it
# was not fitted on, divides the logits by T = 0.01, and the error on test falls to 0.02.
#
# ## Exercises
# 1. Use all 3,000 recordings (drop the `take < 10` filter). Which figures change, and by
#    how much? Which intervals of `compare` get narrower?
# 2. Run `compare` for `whisper-tiny.en-layers` on *who is speaking*. Is its averaged
#    stack of layers negative transfer too?
# 3. Fine-tune Whisper's encoder on the digits (`strategy="finetune"`, a few epochs). Does
#    it beat its frozen layers on theo's recordings, and at what cost in time?
# 4. Train `audio-cnn` from scratch on the digits (`strategy="scratch"`). The FSDD study in
#    the README measured it above MFCC: where does it stand against Whisper here?
