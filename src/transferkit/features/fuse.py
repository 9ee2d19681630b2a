"""A faster copy of a frozen backbone for inference: batch norm folded into the
convolution before it.

In eval mode batch norm is an affine map per channel, so it can be folded into the
preceding convolution's weights and bias (as inference engines do). On MobileNetV2 the
separate batch-norm ops took about a quarter of CPU inference time. Features agree with
the unfused network to float rounding (~1e-5 relative)."""

from __future__ import annotations

import copy
import itertools

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from transferkit.backbones.base import Backbone


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every ``Conv2d`` directly followed by a ``BatchNorm2d`` inside an
    ``nn.Sequential`` (torchvision's conv-norm-activation layout), in place; returns how
    many were folded."""
    folded = 0
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for a, b in itertools.pairwise(names):
            conv, bn = seq._modules[a], seq._modules[b]
            foldable = type(bn) is nn.BatchNorm2d and bn.track_running_stats
            if isinstance(conv, nn.Conv2d) and foldable:
                seq._modules[a] = fuse_conv_bn_eval(conv, bn)
                seq._modules[b] = nn.Identity()
                folded += 1
    return folded


def inference_copy(backbone: Backbone) -> Backbone:
    """A deep copy in eval mode with batch norm folded where possible (the original is
    left untouched, so it can still be trained)."""
    fast = copy.deepcopy(backbone).eval()
    if fold_batchnorm(fast) and backbone.channels_last:
        fast.use_channels_last(True)
    return fast
