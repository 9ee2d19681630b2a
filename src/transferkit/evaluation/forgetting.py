"""How much of the source skill survives adaptation (catastrophic forgetting).

* Feature drift: linear CKA (Kornblith et al., ICML 2019) between the original and the
  adapted backbone's features on the same held-out inputs; 1 means unchanged geometry.
* Images, with the source (ImageNet) classifier: the share of held-out images on which the
  original 1,000-class head predicts the same class before and after adaptation.
* Text: how well the encoder still tells paraphrase pairs from unrelated pairs (ROC AUC of
  cosine similarity on a small probe written for the project), before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from transferkit.backbones.base import Backbone
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
) -> Forgetting:
    """Forgetting figures on held-out ``probe_inputs`` (images), or on the paraphrase probe
    (text). ``adapted_features`` may be passed when already computed."""
    if original.modality == "text":
        sentences = [s for pair in PAIRS for s in pair]
        before, _ = embed(original, sentences, cache=cache)
        after, _ = embed(adapted, sentences)
        return Forgetting(
            cka=linear_cka(before, after),
            probe=f"{len(PAIRS)} paraphrase pairs",
            paraphrase_auc_before=paraphrase_auc(before[0::2], before[1::2]),
            paraphrase_auc_after=paraphrase_auc(after[0::2], after[1::2]),
        )
    before, _ = embed(original, probe_inputs, cache=cache)
    after = adapted_features if adapted_features is not None else embed(adapted, probe_inputs)[0]
    z0, z1 = source_predictions(original, before), source_predictions(adapted, after)
    agreement = float(np.mean(z0 == z1)) if z0 is not None and z1 is not None else None
    return Forgetting(
        cka=linear_cka(before, after),
        probe=f"{len(probe_inputs)} held-out images",
        source_agreement=agreement,
    )
