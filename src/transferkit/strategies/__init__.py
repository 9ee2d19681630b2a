"""How a pretrained model is adapted: one module per strategy, each registered by name
(domain-adaptation methods in ``strategies/adaptation/``, regularizers against forgetting
in ``strategies/regularizers/``).

``list_strategies()`` names them; ``create_strategy(name, options)`` builds one with its
validated config. The registry imports this package's modules the first time it is read,
so a new strategy is one new file.
"""

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
