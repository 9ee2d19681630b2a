"""Review folders in the layout of the multi-domain sentiment data (Blitzer, Dredze,
Pereira, ACL 2007): ``<domain>/positive.review`` and ``<domain>/negative.review``, each a
pseudo-XML list of ``<review>`` elements (latin-1) with a ``<title>`` and a
``<review_text>``. A folder of domains or one domain folder can be read; every review
carries two labels, ``sentiment`` (the main one) and ``domain``."""

from __future__ import annotations

import html
import re
from pathlib import Path

from transferkit.data.dataset import Dataset, describe_path
from transferkit.errors import DataError

SENTIMENTS = {"positive.review": "positive", "negative.review": "negative"}
_REVIEW = re.compile(r"<review>(.*?)</review>", re.S)
_FIELD = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in ("title", "review_text")}


def _domain_folders(root: Path) -> list[Path]:
    if any((root / f).is_file() for f in SENTIMENTS):
        return [root]
    return sorted(
        d for d in root.iterdir() if d.is_dir() and any((d / f).is_file() for f in SENTIMENTS)
    )


def looks_like_review_folder(root: Path) -> bool:
    return root.is_dir() and bool(_domain_folders(root))


def parse_reviews(path: Path) -> list[str]:
    """Title and text of every review in a ``.review`` file, as one string each."""
    raw = path.read_text(encoding="latin-1")
    texts = []
    for block in _REVIEW.findall(raw):
        parts = [
            m.group(1).strip() for f in ("title", "review_text") if (m := _FIELD[f].search(block))
        ]
        text = html.unescape(". ".join(p for p in parts if p))
        if text:
            texts.append(" ".join(text.split()))
    return texts


def read_review_folder(root: Path, label: str | None = None) -> Dataset:
    """Every review under ``root``; ``label`` picks the main label, ``sentiment`` (default)
    or ``domain``."""
    label = label or "sentiment"
    if label not in ("sentiment", "domain"):
        raise DataError(
            f"Reviews have the labels sentiment and domain, not {label!r}; fix --label-column."
        )
    inputs, origins, tasks = [], [], {"sentiment": [], "domain": []}
    for folder in _domain_folders(root):
        for filename, sentiment in SENTIMENTS.items():
            path = folder / filename
            if not path.is_file():
                continue
            for i, text in enumerate(parse_reviews(path), 1):
                inputs.append(text)
                origins.append(f"{describe_path(path, root)} review {i}")
                tasks["sentiment"].append(sentiment)
                tasks["domain"].append(folder.name)
    if not inputs:
        raise DataError(f"No reviews found in {root}; expected <domain>/positive.review files.")
    return Dataset(inputs, tasks[label], "text", origins, name=root.name, tasks=tasks)
