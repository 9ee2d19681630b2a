"""How transferkit is driven from Python: one module per workflow (``fit`` and its stages,
``compare``, ``explore``, ``adapt``, ``rank``, ``load``), each a thin composition of the
layers below that returns a typed result. ``configs.py`` holds their options, from which
the command line is generated. The package re-exports nothing (``transferkit.fit`` and
the other public names live at the top level), so that reading the configs imports no
workflow."""
