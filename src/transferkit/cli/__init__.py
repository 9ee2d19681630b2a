"""How transferkit is driven from a shell: ``transferkit fit``, ``evaluate``, ``predict``,
``models``, ``strategies``."""
