"""Choosing the pretrained model before training: the pieces of ``transferkit.rank``
(``workflows/rank.py``), which scores every candidate backbone on the data with the
transferability scores (``transferkit.scores``) from its frozen features alone, and
recommends one with its uncertainty (from resampling the examples): ``candidates.py``,
``scoring.py``, ``bootstrap.py``, ``result.py`` and its table, ``report.py``; the options
in ``config.py``, which the command line reads without importing the rest."""
