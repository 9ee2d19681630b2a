"""How a pretrained model is adapted: one module per strategy, each registered by name.

``list_strategies()`` names them; ``create_strategy(name, options)`` builds one with its
validated config.
"""

from transferkit.adaptation import methods as _adaptation_methods  # noqa: F401
from transferkit.strategies import (  # noqa: F401 - importing registers the strategies
    auto,
    contrastive,
    finetune,
    gradual,
    linear_probe,
    lora,
    lp_ft,
    multitask,
    partial,
    scratch,
)
from transferkit.strategies.base import (
    STRATEGIES,
    FitContext,
    Strategy,
    StrategyConfig,
    StrategyResult,
    create_strategy,
    list_strategies,
    register_strategy,
)

__all__ = [
    "STRATEGIES",
    "FitContext",
    "Strategy",
    "StrategyConfig",
    "StrategyResult",
    "create_strategy",
    "list_strategies",
    "register_strategy",
]
