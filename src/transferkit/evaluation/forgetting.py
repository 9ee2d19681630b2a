"""How much of the source skill survives adaptation (catastrophic forgetting).

* Feature drift: linear CKA (Kornblith et al., ICML 2019) between the original and the
  adapted backbone's features on the same held-out inputs; 1 means unchanged geometry.
* Images, with the source (ImageNet) classifier: the share of held-out images on which the
  original 1,000-class head predicts the same class before and after adaptation.
* Text: how well the encoder still tells paraphrase pairs from unrelated pairs (ROC AUC of
  cosine similarity on a small probe written for the project), before and after.
* Generative language models, whose source skill is writing text: their perplexity on
  general text (the paraphrase probe's sentences, read as plain text) before and after,
  and their greedy answers to a few general questions (``general_prompts``) side by side.
* Audio whose examples name their groups (speakers): how well the features still verify
  that two held-out recordings share a speaker (equal error rate of the cosine over all
  pairs), before and after: a speaker encoder's source skill.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from transferkit.backbones.base import Backbone
from transferkit.backbones.causal_lm import CausalLMBackbone
from transferkit.evaluation.general_prompts import PROMPTS
from transferkit.evaluation.paraphrases import PAIRS
from transferkit.evaluation.results import Forgetting
from transferkit.evaluation.similarity import linear_cka
from transferkit.features import FeatureCache, embed


@torch.inference_mode()
def source_predictions(backbone: Backbone, features: np.ndarray) -> np.ndarray | None:
    head = backbone.source_head
    if head is None:
        return None
    param = next(head.parameters())
    logits = head(torch.from_numpy(features).to(param.device, param.dtype))
    return logits.argmax(1).cpu().numpy()


def paraphrase_auc(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """ROC AUC of cosine similarity: pair i (a_i, b_i) against mismatched (a_i, b_{i+1})."""
    from sklearn.metrics import roc_auc_score

    a = features_a / np.linalg.norm(features_a, axis=1, keepdims=True)
    b = features_b / np.linalg.norm(features_b, axis=1, keepdims=True)
    same = np.sum(a * b, axis=1)
    other = np.sum(a * np.roll(b, 1, axis=0), axis=1)
    scores = np.concatenate([same, other])
    return float(roc_auc_score(np.r_[np.ones(len(same)), np.zeros(len(other))], scores))


def measure_forgetting(
    original: Backbone,
    adapted: Backbone,
    probe_inputs: Sequence[Any],
    adapted_features: np.ndarray | None = None,
    cache: FeatureCache | None = None,
    probe_groups: Sequence[str] | None = None,
) -> Forgetting:
    """Forgetting figures on held-out ``probe_inputs`` (images, recordings), or on the
    paraphrase probe (text). ``adapted_features`` may be passed when already computed;
    ``probe_groups`` (speakers of the recordings) adds the verification error rates."""
    if original.modality == "text":
        sentences = [s for pair in PAIRS for s in pair]
        before, _ = embed(original, sentences, cache=cache)
        after, _ = embed(adapted, sentences)
        forgetting = Forgetting(
            cka=linear_cka(before, after),
            probe=f"{len(PAIRS)} paraphrase pairs",
            paraphrase_auc_before=paraphrase_auc(before[0::2], before[1::2]),
            paraphrase_auc_after=paraphrase_auc(after[0::2], after[1::2]),
        )
        if isinstance(original, CausalLMBackbone) and isinstance(adapted, CausalLMBackbone):
            forgetting.perplexity_before = original.perplexity(sentences)
            forgetting.perplexity_after = adapted.perplexity(sentences)
            asked = list(PROMPTS)
            pairs = zip(original.complete(asked), adapted.complete(asked), strict=True)
            forgetting.answers = [
                {"prompt": p, "before": b, "after": a}
                for p, (b, a) in zip(asked, pairs, strict=True)
            ]
        return forgetting
    before, _ = embed(original, probe_inputs, cache=cache)
    after = adapted_features if adapted_features is not None else embed(adapted, probe_inputs)[0]
    z0, z1 = source_predictions(original, before), source_predictions(adapted, after)
    agreement = float(np.mean(z0 == z1)) if z0 is not None and z1 is not None else None
    noun = "recordings" if original.modality == "audio" else "images"
    verifiable = probe_groups is not None and len(set(probe_groups)) >= 2
    return Forgetting(
        cka=linear_cka(before, after),
        probe=f"{len(probe_inputs)} held-out {noun}",
        source_agreement=agreement,
        speaker_eer_before=equal_error_rate(before, probe_groups) if verifiable else None,
        speaker_eer_after=equal_error_rate(after, probe_groups) if verifiable else None,
    )


def equal_error_rate(features: np.ndarray, groups: Sequence[str], most: int = 600) -> float:
    """Where false accepts equal false rejects when every pair of examples is called the
    same group iff the cosine of its features exceeds a threshold (a seeded sample of at
    most ``most`` examples, so at most 180,000 pairs)."""
    from sklearn.metrics import roc_curve

    idx = np.random.default_rng(0).permutation(len(features))[:most]
    z = features[idx] / np.linalg.norm(features[idx], axis=1, keepdims=True).clip(min=1e-12)
    g = np.asarray(groups, dtype=object)[idx]
    upper = np.triu_indices(len(z), k=1)
    scores = (z @ z.T)[upper]
    same = (g[:, None] == g[None, :])[upper]
    fpr, tpr, _ = roc_curve(same, scores)
    i = int(np.argmin(np.abs((1 - tpr) - fpr)))
    return float((fpr[i] + 1 - tpr[i]) / 2)
