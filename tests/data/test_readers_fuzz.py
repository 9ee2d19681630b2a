"""Whatever bytes a user's files hold, the readers answer with data or one ``DataError``
(a sentence the CLI prints), never another exception: random bytes, random table shapes
and random image headers (hypothesis)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transferkit.backbones.preprocessing import load_image
from transferkit.data import read_dataset
from transferkit.data.config import DataConfig
from transferkit.errors import TransferkitError

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SUFFIXES = (".csv", ".tsv", ".jsonl")
cells = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


def _read(path: Path, **options) -> None:
    """Read ``path`` as a data set; only a ``TransferkitError`` may come out."""
    try:
        ds = read_dataset(path, DataConfig.from_dict(options))
    except TransferkitError as exc:
        assert str(exc).strip(), "an error without a message"
        return
    assert len(ds.inputs) == len(ds.labels or ds.inputs)


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_as_a_table(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t{suffix}"
        path.write_bytes(data)
        _read(path)


@FUZZ
@given(
    header=st.lists(cells, min_size=0, max_size=4),
    rows=st.lists(st.lists(cells, min_size=0, max_size=5), max_size=12),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_random_table_shapes(header, rows, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("t.tsv" if delimiter == "\t" else "t.csv")
        path.write_text(buffer.getvalue(), encoding="utf-8")
        _read(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | cells,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(cells, inner, max_size=3),
    max_leaves=6,
)


@FUZZ
@given(lines=st.lists(json_values, max_size=10))
def test_random_jsonl_lines(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text("\n".join(json.dumps(v) for v in lines) + "\n", encoding="utf-8")
        _read(path)


MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"RIFF\x00\x00\x00\x00WEBP", b""]


@FUZZ
@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=300))
def test_random_image_headers(magic, body):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.png"
        path.write_bytes(magic + body)
        try:
            image = load_image(path)
        except TransferkitError:
            return
        assert image.mode == "RGB"


@FUZZ
@given(
    files=st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(MAGIC), st.binary(max_size=80)),
        max_size=6,
    )
)
def test_random_image_folders(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        for i, (cls, magic, body) in enumerate(files):
            (root / cls).mkdir(exist_ok=True)
            (root / cls / f"{i}.png").write_bytes(magic + body)
        _read(root)
