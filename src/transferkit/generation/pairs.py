"""Prompt and response pairs: a CSV, TSV or JSONL table (or a folder of train, val/dev and
test tables), or lists in memory; and their splits.

The prompt is the text column, the response the label column (``--text-column`` and
``--label-column`` name them; otherwise columns named prompt/input/instruction/question
and response/output/completion/answer/target are found, then the usual text and label
names). Rows with an empty prompt or response are left out and counted. Without split
files, a seeded share of the pairs is the test split and another the validation split;
the test split is only ever scored, never used to choose anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.data.tables import LABEL_NAMES, TEXT_NAMES, by_name, is_table_file, read_rows
from transferkit.errors import DataError

PROMPT_NAMES = ("prompt", "input", "instruction", "question", "query", "source", *TEXT_NAMES)
RESPONSE_NAMES = ("response", "output", "completion", "answer", "target", *LABEL_NAMES)
VAL_NAMES = ("val", "valid", "validation", "dev")


@dataclass
class Pairs:
    prompts: list[str]
    responses: list[str]

    def __len__(self) -> int:
        return len(self.prompts)

    def take(self, index: np.ndarray | list[int]) -> Pairs:
        return Pairs([self.prompts[i] for i in index], [self.responses[i] for i in index])


@dataclass
class PairSplits:
    train: Pairs
    val: Pairs
    test: Pairs
    #: how each split was made, for the run's summary
    notes: list[str] = field(default_factory=list)


def read_pairs(
    path: Path, prompt_column: str | None = None, response_column: str | None = None
) -> tuple[Pairs, int]:
    """The pairs of one table, and how many rows were left out as empty."""
    columns, rows = read_rows(path)
    for given, what in ((prompt_column, "text"), (response_column, "label")):
        if given is not None and given not in columns:
            raise DataError(
                f"{path.name} has no column {given!r}; its columns are {', '.join(columns)}. "
                f"Pass the right one with --{what}-column."
            )
    response = response_column or by_name(columns, RESPONSE_NAMES)
    prompt = prompt_column or by_name([c for c in columns if c != response], PROMPT_NAMES)
    if prompt is None or response is None or prompt == response:
        raise DataError(
            f"Cannot tell which columns of {path.name} hold the prompts and the responses "
            f"(columns: {', '.join(columns)}); pass --text-column PROMPT and --label-column "
            "RESPONSE."
        )
    kept, skipped = Pairs([], []), 0
    for row in rows:
        p, r = _text(row.get(prompt)), _text(row.get(response))
        if not p or not r:
            skipped += 1
            continue
        kept.prompts.append(p)
        kept.responses.append(r)
    if len(kept) == 0:
        raise DataError(f"{path.name} has no row with both a prompt and a response.")
    return kept, skipped


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def load_pair_splits(
    data: str | Path | tuple[list[str], list[str]],
    seed: int = 0,
    test_fraction: float = 0.2,
    val_fraction: float = 0.2,
    prompt_column: str | None = None,
    response_column: str | None = None,
) -> PairSplits:
    """Train, validation and test pairs from a table, a folder of split tables, or
    ``(prompts, responses)`` in memory."""
    if isinstance(data, tuple):
        prompts, responses = data
        if len(prompts) != len(responses):
            raise DataError(f"{len(prompts)} prompts but {len(responses)} responses.")
        return _carve(
            Pairs(list(map(str, prompts)), list(map(str, responses))),
            seed,
            test_fraction,
            val_fraction,
            ["pairs given in memory"],
        )
    root = Path(data).expanduser()
    if not root.exists():
        raise DataError(f"{root} does not exist; give a table of prompt and response pairs.")
    if root.is_file():
        if not is_table_file(root):
            raise DataError(
                f"{root} is not a .csv, .tsv or .jsonl table of prompt and response pairs."
            )
        pairs, skipped = read_pairs(root, prompt_column, response_column)
        notes = [f"{skipped} rows without a prompt or a response left out"] if skipped else []
        return _carve(pairs, seed, test_fraction, val_fraction, notes)
    tables = {c.stem.lower(): c for c in sorted(root.iterdir()) if is_table_file(c)}
    if "train" not in tables:
        raise DataError(
            f"{root} holds no train table; give a table of pairs, or a folder with train, "
            "val (or dev) and test tables."
        )
    train, skipped = read_pairs(tables["train"], prompt_column, response_column)
    notes = [f"{skipped} training rows without a prompt or a response left out"] if skipped else []
    val_name = next((n for n in VAL_NAMES if n in tables), None)
    test = (
        read_pairs(tables["test"], prompt_column, response_column)[0] if "test" in tables else None
    )
    val = read_pairs(tables[val_name], prompt_column, response_column)[0] if val_name else None
    if test is None:
        rest = _carve(train, seed, test_fraction, 0.0, notes)
        train, test, notes = rest.train, rest.test, rest.notes
    if val is None:
        rest = _carve(train, seed, 0.0, val_fraction, notes)
        train, val, notes = rest.train, rest.val, rest.notes
    return PairSplits(train, val, test, notes)


def _carve(
    pairs: Pairs, seed: int, test_fraction: float, val_fraction: float, notes: list[str]
) -> PairSplits:
    """Seeded test and validation shares of ``pairs`` (each at least one pair when asked)."""
    n = len(pairs)
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * test_fraction)) if test_fraction > 0 else 0
    n_val = max(1, round((n - n_test) * val_fraction)) if val_fraction > 0 else 0
    if n - n_test - n_val < 1:
        raise DataError(
            f"{n} pairs are too few to hold out a test and a validation split; give more pairs."
        )
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    notes = list(notes)
    if n_test:
        notes.append(f"test: {n_test} pairs held out (seed {seed}), only ever scored")
    if n_val:
        notes.append(f"validation: {n_val} pairs carved from the rest (seed {seed})")
    return PairSplits(pairs.take(train), pairs.take(val), pairs.take(test), notes)
