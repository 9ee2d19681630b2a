"""Every case of the bad-input corpus (``corpus.py``) through the real command line: one
sentence and exit 2 (or a listed skip), never a traceback, and nothing changed that the
command was not asked to write."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import transferkit
from tests.cli.corpus import CASES, MESSAGES, Case, table
from tests.cli.test_cli import run
from tests.conftest import write_image_folder, write_text_table


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_cache" not in p.parts
    }


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    images = write_image_folder(root / "images", 10)
    write_image_folder(root / "splits" / "train", 8, seed=1)
    write_image_folder(root / "splits" / "val", 4, seed=2)
    texts = root / "texts"
    write_text_table(texts / "train.csv", 30)
    write_text_table(texts / "test.csv", 12, seed=5)
    transferkit.fit(images, "tiny-cnn", "linear-probe", out=root / "model")
    transferkit.fit(texts, "tiny-bert", "linear-probe", out=root / "text_model")
    return root


def _places(base: Path, tmp: Path) -> dict[str, Path]:
    return {
        "images_split": base / "splits",
        "images": base / "images",
        "texts": base / "texts",
        "text_model": base / "text_model",
        "model": base / "model",
        "tmp": tmp,
    }


def _fill(arg: str, base: Path, tmp: Path) -> str:
    return arg.format(**_places(base, tmp))


def _message(said: str, base: Path, tmp: Path) -> str:
    """What the user read, with this run's folders written as placeholders."""
    for name, path in sorted(_places(base, tmp).items(), key=lambda kv: -len(str(kv[1]))):
        said = said.replace(str(path), "{" + name + "}")
    said = said.replace(str(tmp), "{tmp}")
    if "error: " in said:  # after any progress lines, the one sentence
        return said[said.index("error: ") + len("error: ") :]
    return said


def _check_message(case: Case, message: str) -> None:
    """The message must be the one docs/bad-inputs.md shows; TRANSFERKIT_CORPUS_UPDATE=1
    records it instead (then regenerate the docs with ``python -m tests.cli.corpus``)."""
    known = json.loads(MESSAGES.read_text()) if MESSAGES.exists() else {}
    if os.environ.get("TRANSFERKIT_CORPUS_UPDATE") == "1":
        known[case.id] = message
        MESSAGES.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n")
        return
    assert known.get(case.id) == message, "the message changed: see _check_message"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, base, tmp_path, capsys):
    for name, target in (("_images", "images"), ("_model", "model"), ("_text_model", "text_model")):
        (tmp_path / name).symlink_to(base / target)
    if case.make is not None:
        case.make(tmp_path)
    before, shared = _snapshot(tmp_path), _snapshot(base)
    code, stdout, stderr = run([_fill(a, base, tmp_path) for a in case.args], capsys)
    said = " ".join((stdout + stderr).split())
    assert "Traceback" not in stdout + stderr, stderr
    assert _snapshot(base) == shared, "a shared input was changed"
    after = _snapshot(tmp_path)
    assert {k: after.get(k) for k in before} == before, "an input was changed"
    if case.outcome == "error":
        assert code == 2, (code, said)
        assert stderr.count("error:") + stderr.count("Error:") == 1, stderr
        assert after == before, "a failed command wrote something"
        _check_message(case, _message(" ".join(stderr.split()), base, tmp_path))
    else:
        assert code == 0, (code, said)
    assert case.expect in said, said


def test_the_docs_table_lists_every_case():
    docs = Path(__file__).parents[2] / "docs" / "bad-inputs.md"
    assert table() in docs.read_text(), "run `python -m tests.cli.corpus` into docs/bad-inputs.md"


def test_the_corpus_has_no_duplicate_ids():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
