r"""AdaBN: re-estimate batch-norm statistics on the target domain.

Li, Wang, Shi, Liu & Hou, "Revisiting Batch Normalization For Practical Domain
Adaptation", ICLR Workshop 2017 / Pattern Recognition 2018. The learned weights stay as
they are; only the normalisation statistics move to the target domain. For each
batch-norm layer, with :math:`\mu_k, \sigma_k^2` the per-channel mean and unbiased
variance of its input on target batch :math:`k` of :math:`K`:

.. math::

    \mu = \frac{1}{K} \sum_{k=1}^{K} \mu_k, \qquad
    \sigma^2 = \frac{1}{K} \sum_{k=1}^{K} \sigma_k^2

(the cumulative average, obtained by resetting the statistics and ``momentum=None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from transferkit.errors import DataError, IncompatibleError

__all__ = ["recompute_batchnorm_statistics"]


def _tracking_layers(model: nn.Module) -> list[_BatchNorm]:
    """The batch-norm layers that keep running statistics, or one sentence why none."""
    all_bn = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not all_bn:
        raise IncompatibleError(
            "AdaBN needs batch-norm layers, and this backbone has none; "
            "choose another method such as coral or dann."
        )
    layers = [m for m in all_bn if m.track_running_stats and m.running_mean is not None]
    if not layers:
        raise IncompatibleError(
            "AdaBN needs batch-norm layers that keep running statistics, and this backbone's "
            "do not; choose another method such as coral or dann."
        )
    return layers


@torch.no_grad()
def _restore(
    layers: list[_BatchNorm], momenta: dict[Any, Any], saved: dict[Any, Any], updated: set[Any]
) -> None:
    """Put the momenta back; a failed or empty pass, or a layer off the forward path, must
    not be left with wiped statistics."""
    for m in layers:
        m.momentum = momenta[m]
        if m not in updated:
            mean, var, count = saved[m]
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(count)


def recompute_batchnorm_statistics(
    model: nn.Module,
    batches: Iterable[Any],
    forward: Callable[[Any], Any] | None = None,
) -> int:
    r"""Replace every batch-norm layer's running statistics by those of the target data
    (the cumulative average over the batches; the module's docstring has the formula).

    Only the batch-norm layers run in training mode; every other module (Dropout, ...)
    runs in eval mode, all under ``torch.no_grad``. Afterwards each layer's momentum and
    each module's ``training`` flag are restored. A batch-norm layer that no batch reached
    keeps its old statistics.

    Args:
        model: any module containing ``BatchNorm1d/2d/3d`` (or ``SyncBatchNorm``) layers
            that track running statistics; already on the device of the batches.
        batches: the unlabelled target batches, e.g. a ``DataLoader``; each batch must hold
            more than one value per channel.
        forward: how to run the model on one batch; default ``model(batch)``. For a loader
            of ``(x, y)`` pairs pass ``lambda batch: model(batch[0])``.

    Returns:
        The number of batch-norm layers whose statistics were recomputed.

    Raises:
        IncompatibleError: the model has no batch-norm layer with running statistics.
        DataError: ``batches`` is empty (the statistics are then left unchanged).
    """
    layers = _tracking_layers(model)
    run = forward if forward is not None else model
    flags = {m: m.training for m in model.modules()}
    momenta = {m: m.momentum for m in layers}
    saved = {
        m: (m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
        for m in layers
    }
    seen = 0
    updated: set[nn.Module] = set()
    try:
        model.eval()
        for m in layers:
            m.reset_running_stats()
            m.momentum = None
            m.train()
        with torch.no_grad():
            for batch in batches:
                run(batch)
                seen += 1
        updated = {m for m in layers if int(m.num_batches_tracked) > 0}
    finally:
        _restore(layers, momenta, saved, updated)
        for m, training in flags.items():
            m.training = training
    if seen == 0:
        raise DataError("AdaBN got no target batches; pass a non-empty iterable of batches.")
    return len(updated)
