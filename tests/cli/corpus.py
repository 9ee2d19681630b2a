"""The bad-input corpus: what a careless user or an attacker gives the command line, and
what transferkit must answer. ``test_corpus.py`` runs every case through the real CLI;
``python -m tests.cli.corpus`` writes the table in ``docs/bad-inputs.md``.

A case is a command line (``{images}``, ``{texts}``, ``{model}``, ``{text_model}`` and
``{tmp}`` are filled in), an optional ``make(tmp)`` that writes the bad input, and what
must happen: ``error`` (exit 2, one sentence holding ``expect``), ``skip`` (exit 0, the
input left out and listed, ``expect`` in the summary) or ``ok`` (exit 0, ``expect`` in the
output: the input was bad only in appearance, e.g. rich markup in a name).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Make = Callable[[Path], None]
#: what each error case prints, as the docs table shows it (``test_corpus._check_message``)
MESSAGES = Path(__file__).with_name("corpus_messages.json")


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    expect: str
    outcome: str = "error"
    make: Make | None = None
    what: str = ""  # the bad input, in words, for the docs table


def _write(name: str, text: str, encoding: str = "utf-8") -> Make:
    def make(tmp: Path) -> None:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding=encoding)

    return make


def _bytes(name: str, data: bytes) -> Make:
    def make(tmp: Path) -> None:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _images_with(name: str, data: bytes) -> Make:
    """A copy of the generated image folder with one extra file."""

    def make(tmp: Path) -> None:
        import shutil

        shutil.copytree(tmp / "_images", tmp / "imgs")
        (tmp / "imgs" / "ants" / name).write_bytes(data)

    return make


def _edit_model(change: Callable[[dict], object], source: str = "_model") -> Make:
    def make(tmp: Path) -> None:
        import shutil

        shutil.copytree(tmp / source, tmp / "m")
        path = tmp / "m" / "config.json"
        record = json.loads(path.read_text())
        change(record)
        path.write_text(json.dumps(record))

    return make


def _damage(name: str, data: bytes | None) -> Make:
    def make(tmp: Path) -> None:
        import shutil

        shutil.copytree(tmp / "_model", tmp / "m")
        if data is None:
            (tmp / "m" / name).unlink()
        else:
            (tmp / "m" / name).write_bytes(data)

    return make


def _table(rows: list[list[str]], name: str = "t.csv", encoding: str = "utf-8") -> Make:
    return _write(name, "\n".join(",".join(r) for r in rows) + "\n", encoding)


def _reviews(n: int = 12) -> list[list[str]]:
    return [["text", "label"]] + [
        [f"a {'good' if i % 2 else 'bad'} film number {i}", "pos" if i % 2 else "neg"]
        for i in range(n)
    ]


FIT_TINY = ("fit", "-m", "tiny-cnn")
FIT_TEXT = ("fit", "-m", "tiny-bert")

DATA_CASES = [
    Case("missing-data", (*FIT_TINY, "{tmp}/nowhere"), "does not exist"),
    Case(
        "empty-folder", (*FIT_TINY, "{tmp}/empty"), "is empty", make=lambda t: (t / "empty").mkdir()
    ),
    Case(
        "one-class-folder",
        (*FIT_TINY, "{tmp}/one"),
        "class",
        make=lambda t: __import__("shutil").copytree(t / "_images" / "ants", t / "one" / "ants"),
    ),
    Case(
        "class-with-one-example",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "'solo' has 1",
        make=_table([*_reviews(), ["a lonely film", "solo"]]),
    ),
    Case(
        "labels-nan-none-null",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "label",
        outcome="skip",
        make=_table([*_reviews(), ["x film", "NaN"], ["y film", "null"], ["z film", "NULL"]]),
        what="labels NaN, null, NULL (how exported tables spell a missing value)",
    ),
    Case(
        "constant-second-text-column",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "Model not saved",
        outcome="ok",
        make=_table([["text", "source", "label"]] + [[r[0], "web", r[1]] for r in _reviews()[1:]]),
    ),
    Case(
        "duplicated-header",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "header",
        make=_table([["text", "text", "label"]] + [[r[0], r[0], r[1]] for r in _reviews()[1:]]),
    ),
    Case(
        "jsonl-line-not-an-object",
        (*FIT_TEXT, "{tmp}/t.jsonl"),
        "line 3",
        make=_write(
            "t.jsonl",
            '{"text": "a good film", "label": "pos"}\n{"text": "bad", "label": "neg"}\n[1, 2]\n',
        ),
    ),
    Case(
        "latin1-csv",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "UTF-8",
        make=_table([*_reviews(), ["un film tr\u00e8s r\u00e9ussi", "pos"]], encoding="latin-1"),
    ),
    Case("header-only-csv", (*FIT_TEXT, "{tmp}/t.csv"), "no", make=_write("t.csv", "text,label\n")),
    Case(
        "no-label-column",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "label",
        make=_table([["text", "stars", "when"]] + [[r[0], "1", "2"] for r in _reviews()[1:]]),
    ),
    Case(
        "bom-before-label",
        (*FIT_TEXT, "{tmp}/t.csv", "--test-split", "none"),
        "Model not saved",
        outcome="ok",
        make=_write(
            "t.csv", "\ufefflabel,text\n" + "".join(f"{r[1]},{r[0]}\n" for r in _reviews(24)[1:])
        ),
        what="a byte-order mark before the first column's name",
    ),
    Case(
        "decompression-bomb",
        (*FIT_TINY, "{tmp}/imgs"),
        "bomb.png",
        outcome="skip",
        make=_images_with("bomb.png", _png_header(30_000, 30_000)),
        what="a PNG that claims 30,000 x 30,000 pixels",
    ),
    Case(
        "random-bytes-jpeg",
        (*FIT_TINY, "{tmp}/imgs"),
        "junk.jpg",
        outcome="skip",
        make=_images_with("junk.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 4),
    ),
    Case(
        "text-column-on-images",
        (*FIT_TINY, "{images}", "--text-column", "body"),
        "--text-column",
    ),
    Case(
        "label-column-missing", (*FIT_TEXT, "{texts}/train.csv", "--label-column", "nope"), "nope"
    ),
]

OPTION_CASES = [
    Case("lr-nan", (*FIT_TINY, "{images}", "-s", "finetune", "--lr", "nan"), "lr"),
    Case("lr-negative", (*FIT_TINY, "{images}", "-s", "finetune", "--lr", "-1"), "lr"),
    Case("epochs-zero", (*FIT_TINY, "{images}", "-s", "finetune", "--epochs", "0"), "epochs"),
    Case("epochs-text", (*FIT_TINY, "{images}", "-s", "finetune", "--epochs", "ten"), "ten"),
    Case("val-fraction-two", (*FIT_TINY, "{images}", "--val-fraction", "2"), "--val-fraction"),
    Case("unknown-strategy", (*FIT_TINY, "{images}", "-s", "magic"), "magic"),
    Case("unknown-model", ("fit", "{images}", "-m", "no-such-model"), "no-such-model"),
    Case("unknown-source", ("fit", "{images}", "-m", "zz:thing"), "zz"),
    Case("text-model-on-images", ("fit", "{images}", "-m", "tiny-bert"), "text model"),
    Case("image-model-on-texts", ("fit", "{texts}/train.csv", "-m", "tiny-cnn"), "image model"),
    Case("model-folder-not-a-model", ("fit", "{images}", "-m", "{images}"), "model"),
    Case("option-of-another-strategy", (*FIT_TINY, "{images}", "--rank", "4"), "--rank"),
    Case("weights-missing", (*FIT_TINY, "{images}", "--weights", "{tmp}/no.pth"), "no.pth"),
    Case(
        "weights-pickle",
        (*FIT_TINY, "{images}", "--weights", "{tmp}/evil.pth"),
        "evil.pth",
        make=_bytes("evil.pth", b"\x80\x04\x95cos\nsystem\n"),
    ),
    Case("config-missing", (*FIT_TINY, "--config", "{tmp}/run.yaml"), "run.yaml"),
    Case(
        "config-latin1",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "UTF-8",
        make=_write("run.yaml", "data: caf\u00e9\n", encoding="latin-1"),
    ),
    Case(
        "config-a-list",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "run.yaml",
        make=_write("run.yaml", "- data\n- model\n"),
    ),
    Case(
        "config-bad-yaml",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "run.yaml",
        make=_write("run.yaml", "data: [unclosed\n"),
    ),
    Case(
        "config-unknown-key",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "epoch",
        make=_write("run.yaml", "data: x\nepoch: 3\n"),
    ),
]

OUT_CASES = [
    Case("out-in-proc", (*FIT_TINY, "{images}", "--out", "/proc/tk-corpus/m"), "Cannot write"),
    Case(
        "out-under-a-file",
        (*FIT_TINY, "{images}", "--out", "{tmp}/f/sub"),
        "is a file",
        make=_write("f", "x"),
    ),
    Case(
        "out-is-a-file",
        (*FIT_TINY, "{images}", "--out", "{tmp}/f"),
        "not a directory",
        make=_write("f", "x"),
    ),
    Case(
        "out-exists",
        (*FIT_TINY, "{images}", "--out", "{tmp}/d"),
        "--overwrite",
        make=_write("d/precious.txt", "keep"),
    ),
    Case(
        "overwrite-a-stranger",
        (*FIT_TINY, "{images}", "--out", "{tmp}/d", "--overwrite"),
        "not written by transferkit",
        make=_write("d/precious.txt", "keep"),
    ),
    Case(
        "predict-out-in-proc",
        ("predict", "{model}", "{images}", "--out", "/proc/tk-corpus.csv"),
        "Cannot write",
    ),
    Case(
        "predict-out-exists",
        ("predict", "{model}", "{images}", "--out", "{tmp}/p.csv"),
        "--overwrite",
        make=_write("p.csv", "earlier results"),
    ),
    Case(
        "predict-out-a-folder",
        ("predict", "{model}", "{images}", "--out", "{tmp}"),
        "is a folder",
    ),
]

MARKUP_CASES = [
    Case(
        "markup-in-class-names",
        (*FIT_TINY, "{tmp}/mk"),
        "[bold]",
        outcome="ok",
        make=lambda t: [
            __import__("shutil").copytree(t / "_images" / c, t / "mk" / n)
            for c, n in (("ants", "[bold]"), ("bees", "[/]"))
        ],
        what="class folders named [bold] and [/]",
    ),
    Case(
        "markup-in-a-missing-path",
        (*FIT_TINY, "{tmp}/[red]x[/red]"),
        "[red]x[/red]",
    ),
    Case(
        "markup-in-out",
        (*FIT_TINY, "{images}", "--out", "{tmp}/[b]m"),
        "[b]m",
        outcome="ok",
    ),
]

MODEL_CASES = [
    Case(
        "predict-missing-model", ("predict", "{tmp}/nomodel", "{images}"), "not a model directory"
    ),
    Case("predict-model-is-data", ("predict", "{images}", "{images}"), "not a complete"),
    Case(
        "config-not-json",
        ("predict", "{tmp}/m", "{images}"),
        "not valid JSON",
        make=_damage("config.json", b"{not json"),
    ),
    Case(
        "config-latin1-bytes",
        ("predict", "{tmp}/m", "{images}"),
        "config.json",
        make=_damage("config.json", '{"x": "caf\u00e9"}'.encode("latin-1")),
    ),
    Case(
        "model-config-a-list",
        ("predict", "{tmp}/m", "{images}"),
        "not written by transferkit",
        make=_damage("config.json", b"[1, 2]"),
    ),
    Case(
        "config-no-backbone",
        ("predict", "{tmp}/m", "{images}"),
        "'backbone'",
        make=_edit_model(lambda r: r.pop("backbone")),
    ),
    Case(
        "config-no-classes",
        ("predict", "{tmp}/m", "{images}"),
        "'classes'",
        make=_edit_model(lambda r: r.pop("classes")),
    ),
    Case(
        "config-bad-interpolation",
        ("predict", "{tmp}/m", "{images}"),
        "interpolation",
        make=_edit_model(lambda r: r["backbone"]["preprocessing"].update(interpolation="magic")),
    ),
    Case(
        "config-extra-preprocessing",
        ("predict", "{tmp}/m", "{images}"),
        "unknown keys",
        make=_edit_model(lambda r: r["backbone"]["preprocessing"].update(zoom=2)),
    ),
    Case(
        "config-huge-image-size",
        ("predict", "{tmp}/m", "{images}"),
        "'size' is 100000",
        make=_edit_model(lambda r: r["backbone"]["preprocessing"].update(size=100_000)),
    ),
    Case(
        "config-temperature-zero",
        ("predict", "{tmp}/m", "{images}"),
        "is 0",
        make=_edit_model(lambda r: r["calibration"]["temperatures"].update(label=0)),
    ),
    Case(
        "config-format-99",
        ("predict", "{tmp}/m", "{images}"),
        "model format 99",
        make=_edit_model(lambda r: r.update(format_version=99)),
    ),
    Case(
        "config-source-escapes",
        ("predict", "{tmp}/m", "{images}"),
        "neither a registered",
        make=_edit_model(lambda r: r["backbone"].update(source="../../../../etc")),
    ),
    Case(
        "config-source-hub",
        ("predict", "{tmp}/m", "hello"),
        "backbone/ folder",
        make=lambda t: (
            _edit_model(lambda r: r["backbone"].update(source="hf:x/y"), "_text_model")(t),
            __import__("shutil").rmtree(t / "m" / "backbone"),
        ),
    ),
    Case(
        "config-classes-edited",
        ("predict", "{tmp}/m", "{images}"),
        "do not match",
        make=_edit_model(
            lambda r: (r.update(classes=list("abc")), r["head"]["tasks"].update(label=list("abc")))
        ),
    ),
    Case(
        "weights-changed",
        ("predict", "{tmp}/m", "{images}"),
        "SHA-256",
        make=_damage("model.safetensors", b"\x00" * 64),
    ),
    Case(
        "model-weights-missing",
        ("predict", "{tmp}/m", "{images}"),
        "model.safetensors",
        make=_damage("model.safetensors", None),
    ),
    Case(
        "familiarity-damaged",
        ("predict", "{tmp}/m", "{images}"),
        "familiarity.safetensors",
        make=_damage("familiarity.safetensors", b"garbage"),
    ),
    Case(
        "predict-unreadable-image",
        ("predict", "{model}", "{tmp}/x.png"),
        "x.png",
        make=_bytes("x.png", b"not an image"),
    ),
    Case(
        "predict-jpeg-to-text-model",
        ("predict", "{text_model}", "{tmp}/a.jpg"),
        "a.jpg",
        make=_bytes("a.jpg", b"\xff\xd8\xff\xe0" + bytes(range(200))),
    ),
    Case(
        "predict-latin1-text",
        ("predict", "{text_model}", "{tmp}/a.txt"),
        "UTF-8",
        make=_write("a.txt", "un film tr\u00e8s r\u00e9ussi\n", encoding="latin-1"),
    ),
    Case("predict-unknown-task", ("predict", "{model}", "{images}", "--task", "nope"), "nope"),
    Case(
        "evaluate-texts-on-image-model",
        ("evaluate", "{model}", "{texts}/train.csv"),
        "is a model of images",
    ),
    Case(
        "evaluate-split-nosuch",
        ("evaluate", "{model}", "{images_split}", "--split", "nosuch"),
        "nosuch",
    ),
    Case(
        "evaluate-unknown-labels",
        ("evaluate", "{model}", "{tmp}/other"),
        "label",
        make=lambda t: __import__("shutil").copytree(t / "_images" / "ants", t / "other" / "wasps"),
    ),
]

STUDY_CASES = [
    Case(
        "compare-sizes-text",
        ("compare", "{images_split}", "-m", "tiny-cnn", "--test-split", "val", "--sizes", "abc"),
        "abc",
    ),
    Case(
        "compare-seeds-zero",
        ("compare", "{images_split}", "-m", "tiny-cnn", "--test-split", "val", "--seeds", "0"),
        "seeds",
    ),
    Case(
        "compare-unknown-strategy",
        (
            "compare",
            "{images_split}",
            "-m",
            "tiny-cnn",
            "--test-split",
            "val",
            "--strategies",
            "nope",
        ),
        "nope",
    ),
    Case(
        "rank-unknown-score",
        ("rank", "{images}", "--models", "tiny-cnn", "--scores", "nope"),
        "nope",
    ),
    Case(
        "explore-clusters-one",
        ("explore", "{images}", "-m", "tiny-cnn", "--clusters", "1"),
        "clusters",
    ),
    Case("explore-missing", ("explore", "{tmp}/nowhere", "-m", "tiny-cnn"), "does not exist"),
    Case(
        "adapt-missing-target",
        ("adapt", "--source", "{images}", "--target", "{tmp}/nowhere", "-m", "tiny-cnn"),
        "does not exist",
    ),
]

MORE_DATA_CASES = [
    Case(
        "data-is-a-plain-file",
        (*FIT_TEXT, "{tmp}/notes.txt"),
        "notes.txt",
        make=_write("notes.txt", "just some notes\n"),
    ),
    Case(
        "data-is-a-spreadsheet",
        (*FIT_TEXT, "{tmp}/t.xlsx"),
        "t.xlsx",
        make=_bytes("t.xlsx", b"PK\x03\x04" + b"\x00" * 60),
    ),
    Case(
        "empty-texts",
        (*FIT_TEXT, "{tmp}/t.csv", "--test-split", "none"),
        "empty",
        outcome="skip",
        make=_table([*_reviews(24), ["", "pos"], ["  ", "neg"]]),
    ),
    Case(
        "rows-without-label",
        (*FIT_TEXT, "{tmp}/t.csv", "--test-split", "none"),
        "label",
        outcome="skip",
        make=_table([*_reviews(24), ["a film with no label", ""]]),
    ),
    Case(
        "zero-byte-image",
        (*FIT_TINY, "{tmp}/imgs"),
        "empty.png",
        outcome="skip",
        make=_images_with("empty.png", b""),
    ),
    Case(
        "bad-image-with-on-bad-input-error",
        (*FIT_TINY, "{tmp}/imgs", "--on-bad-input", "error"),
        "junk.png",
        make=_images_with("junk.png", b"junk"),
    ),
    Case("shots-zero", (*FIT_TINY, "{images}", "--shots", "0"), "shots"),
    Case("max-train-one", (*FIT_TINY, "{images}", "--max-train", "1"), "max"),
    Case("val-split-nosuch", (*FIT_TINY, "{images_split}", "--val-split", "nosuch"), "nosuch"),
    Case("test-split-is-train", (*FIT_TINY, "{images_split}", "--test-split", "train"), "train"),
    Case("val-split-on-unsplit-data", (*FIT_TINY, "{images}", "--val-split", "val"), "val"),
    Case(
        "tasks-one-column",
        (*FIT_TEXT, "{texts}/train.csv", "-s", "multitask", "--tasks", "label,topic"),
        "topic",
    ),
    Case(
        "all-texts-empty",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "t.csv",
        make=_table([["text", "label"]] + [["", "pos" if i % 2 else "neg"] for i in range(10)]),
    ),
    Case(
        "tsv-given-as-csv",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "column",
        make=_write("t.csv", "".join(f"{r[0]}\t{r[1]}\n" for r in _reviews())),
    ),
]


def _leaky(tmp: Path) -> None:
    import shutil

    shutil.copytree(tmp / "_images", tmp / "leak" / "train")
    for cls in ("ants", "bees"):
        (tmp / "leak" / "test" / cls).mkdir(parents=True)
        for photo in sorted((tmp / "_images" / cls).iterdir())[:3]:
            shutil.copy(photo, tmp / "leak" / "test" / cls / f"copy-{photo.name}")


MORE_DATA_CASES.append(
    Case(
        "labels-1-and-1.0",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "'1' and '1.0'",
        make=_table(
            [["text", "label"]] + [[f"film {i}", ["1", "1.0", "0"][i % 3]] for i in range(12)]
        ),
    )
)
MORE_DATA_CASES.append(
    Case(
        "test-rows-copied-from-train",
        (*FIT_TINY, "{tmp}/leak"),
        "6 of the test split's 6 examples are identical to training examples",
        outcome="ok",
        make=_leaky,
        what="a test split whose examples are copies of training examples",
    )
)

MORE_OPTION_CASES = [
    Case("no-data-argument", ("fit",), "DATA"),
    Case("unknown-command", ("fly",), "fly"),
    Case("seed-text", (*FIT_TINY, "{images}", "--seed", "abc"), "abc"),
    Case("engine-magic", (*FIT_TINY, "{images}", "--engine", "magic"), "magic"),
    Case("val-fraction-zero", (*FIT_TINY, "{images}", "--val-fraction", "0"), "--val-fraction"),
    Case(
        "batch-size-zero",
        (*FIT_TINY, "{images}", "-s", "finetune", "--batch-size", "0"),
        "--batch-size",
    ),
    Case(
        "patience-negative",
        (*FIT_TINY, "{images}", "-s", "finetune", "--patience", "-1"),
        "patience",
    ),
    Case("lr-infinite", (*FIT_TINY, "{images}", "-s", "finetune", "--lr", "inf"), "lr"),
    Case("C-nan", (*FIT_TINY, "{images}", "--C", "nan"), "C"),
    Case(
        "weights-not-safetensors",
        (*FIT_TINY, "{images}", "--weights", "{tmp}/w.safetensors"),
        "w.safetensors",
        make=_write("w.safetensors", "not weights"),
    ),
    Case("timm-unknown", ("fit", "{images}", "-m", "timm:no_such_net"), "no_such_net"),
    Case(
        "torchvision-unknown", ("fit", "{images}", "-m", "torchvision:no_such_net"), "no_such_net"
    ),
    Case("strategy-option-unknown", (*FIT_TINY, "{images}", "-s", "lora", "--rnak", "4"), "--rnak"),
    Case("lora-rank-huge", (*FIT_TINY, "{images}", "-s", "lora", "--rank", "100000"), "rank"),
    Case(
        "config-data-nowhere",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "does not exist",
        make=_write("run.yaml", "data: /nowhere/at/all\n"),
    ),
    Case(
        "config-two-data",
        ("fit", "{images}", "--config", "{tmp}/run.yaml", "-m", "tiny-cnn"),
        "Model not saved",
        outcome="ok",
        make=_write("run.yaml", "data: /somewhere/else\n"),
        what="DATA on the command line and in the run file (the command line's wins)",
    ),
]

MORE_USE_CASES = [
    Case("predict-no-inputs", ("predict", "{model}"), "INPUTS"),
    Case("predict-missing-image", ("predict", "{model}", "{tmp}/none.jpg"), "none.jpg"),
    Case(
        "predict-empty-folder",
        ("predict", "{model}", "{tmp}/e"),
        "e",
        make=lambda t: (t / "e").mkdir(),
    ),
    Case("predict-format-xml", ("predict", "{model}", "{images}", "--format", "xml"), "xml"),
    Case(
        "predict-markup-text",
        ("predict", "{text_model}", "[bold]a good film[/bold]"),
        "[bold]a good film[/bold]",
        outcome="ok",
        what="a text holding rich markup",
    ),
    Case(
        "evaluate-no-labels",
        ("evaluate", "{text_model}", "{tmp}/t.csv"),
        "label",
        make=_table([["text"]] + [[r[0]] for r in _reviews()[1:]]),
    ),
    Case(
        "evaluate-label-map-without-equals",
        ("evaluate", "{model}", "{images}", "--label-map", "ants"),
        "NAME=CLASS",
    ),
    Case("evaluate-missing-data", ("evaluate", "{model}", "{tmp}/nowhere"), "does not exist"),
    Case("rank-unknown-model", ("rank", "{images}", "--models", "tiny-cnn,nope"), "nope"),
    Case(
        "compare-sizes-zero",
        ("compare", "{images_split}", "-m", "tiny-cnn", "--test-split", "val", "--sizes", "0"),
        "0",
    ),
    Case(
        "explore-clusters-text",
        ("explore", "{images}", "-m", "tiny-cnn", "--clusters", "abc"),
        "abc",
    ),
    Case(
        "explore-out-exists",
        ("explore", "{images}", "-m", "tiny-cnn", "--out", "{tmp}/d"),
        "--overwrite",
        make=_write("d/x.txt", "mine"),
    ),
    Case(
        "compare-out-stranger",
        ("compare", "{images}", "-m", "tiny-cnn", "--out", "{tmp}/d", "--overwrite"),
        "not written by transferkit",
        make=_write("d/x.txt", "mine"),
    ),
]


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    """A real image in ``mode`` (an odd one: 16-bit grey, palette with transparency...)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    img = Image.new(mode, (width, height))
    img.save(buf, format="PNG" if mode != "CMYK" else "JPEG")
    return buf.getvalue()


def _truncated(kind: str) -> Make:
    def make(tmp: Path) -> None:
        data = _png(64, 64, "RGB" if kind == "png" else "CMYK")
        _images_with(f"cut.{'png' if kind == 'png' else 'jpg'}", data[: len(data) // 2])(tmp)

    return make


#: added for issue 15's second pass: shapes of tables, odd images, options at their edges
EDGE_CASES = [
    Case("empty-csv-file", (*FIT_TEXT, "{tmp}/t.csv"), "t.csv", make=_write("t.csv", "")),
    Case(
        "ragged-csv-row",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "line 14",
        make=_table([*_reviews(), ["a long, slow and dull film", "neg"]]),
        what="an unquoted comma inside a text (the text would be cut and the label shifted)",
    ),
    Case(
        "nul-bytes-in-csv",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "Model not saved",
        outcome="ok",
        what="NUL bytes inside a text (kept as they are: a tokenizer reads them)",
        make=_bytes("t.csv", b"text,label\na good\x00 film,pos\n" * 6 + b"bad,neg\n" * 6),
    ),
    Case(
        "jsonl-broken-json",
        (*FIT_TEXT, "{tmp}/t.jsonl"),
        "line 2",
        make=_write("t.jsonl", '{"text": "a good film", "label": "pos"}\n{"text": "bad\n'),
    ),
    Case(
        "jsonl-label-a-list",
        (*FIT_TEXT, "{tmp}/t.jsonl", "--test-split", "none"),
        "holds a list",
        outcome="skip",
        make=_write(
            "t.jsonl",
            "".join(
                json.dumps(
                    {"text": f"film {i}", "label": [[1, 2], "pos", "neg"][min(i, 1 + i % 2)]}
                )
                + "\n"
                for i in range(21)
            ),
        ),
        what="a JSONL label that is a list",
    ),
    Case(
        "one-label-in-a-table",
        (*FIT_TEXT, "{tmp}/t.csv"),
        "class",
        make=_table([["text", "label"]] + [[f"film {i}", "pos"] for i in range(12)]),
    ),
    Case(
        "parquet-file",
        (*FIT_TEXT, "{tmp}/t.parquet"),
        "t.parquet",
        make=_bytes("t.parquet", b"PAR1"),
    ),
    Case(
        "text-column-missing",
        (*FIT_TEXT, "{texts}/train.csv", "--text-column", "body"),
        "body",
    ),
    Case(
        "text-and-label-column-the-same",
        (*FIT_TEXT, "{texts}/train.csv", "--text-column", "label", "--label-column", "label"),
        "label",
    ),
    Case(
        "only-hidden-class-folders",
        (*FIT_TINY, "{tmp}/h"),
        "h",
        make=lambda t: __import__("shutil").copytree(t / "_images" / "ants", t / "h" / ".ants"),
    ),
    Case(
        "text-file-among-images",
        (*FIT_TINY, "{tmp}/imgs"),
        "notes.txt",
        outcome="skip",
        make=_images_with("notes.txt", b"hello"),
    ),
    Case(
        "truncated-png",
        (*FIT_TINY, "{tmp}/imgs"),
        "cut.png",
        outcome="skip",
        make=_truncated("png"),
    ),
    Case(
        "truncated-jpeg",
        (*FIT_TINY, "{tmp}/imgs"),
        "cut.jpg",
        outcome="skip",
        make=_truncated("jpeg"),
    ),
    Case(
        "odd-image-modes",
        (*FIT_TINY, "{tmp}/imgs"),
        "Model not saved",
        outcome="ok",
        make=lambda t: [
            _images_with("grey16.png", _png(40, 30, "I;16"))(t),
            (t / "imgs" / "ants" / "tiny.png").write_bytes(_png(1, 1, "P")),
            (t / "imgs" / "ants" / "rgba.png").write_bytes(_png(33, 17, "RGBA")),
            (t / "imgs" / "ants" / "cmyk.jpg").write_bytes(_png(20, 20, "CMYK")),
        ],
        what="16-bit grey, 1x1 palette, RGBA and CMYK images (all usable)",
    ),
    Case(
        "newline-in-class-name",
        (*FIT_TINY, "{tmp}/nl"),
        "Model not saved",
        outcome="ok",
        make=lambda t: [
            __import__("shutil").copytree(t / "_images" / c, t / "nl" / n)
            for c, n in (("ants", "an\nts"), ("bees", "bees\x1b[31m"))
        ],
        what="class folders whose names hold a newline and a terminal escape",
    ),
    Case("max-train-text", (*FIT_TINY, "{images}", "--max-train", "abc"), "abc"),
    Case("shots-negative", (*FIT_TINY, "{images}", "--shots", "-3"), "shots"),
    Case("batch-size-text", (*FIT_TINY, "{images}", "-s", "finetune", "--batch-size", "x"), "x"),
    Case(
        "freeze-over-one-fraction",
        (*FIT_TINY, "{images}", "-s", "partial", "--freeze", "-1"),
        "freeze",
    ),
    Case("lora-rank-zero", (*FIT_TINY, "{images}", "-s", "lora", "--rank", "0"), "rank"),
    Case("on-bad-input-maybe", (*FIT_TINY, "{images}", "--on-bad-input", "maybe"), "maybe"),
    Case(
        "config-wrong-type",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "seed",
        make=_write("run.yaml", "data: x\nseed: [1, 2]\n"),
    ),
    Case(
        "config-empty",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "mapping",
        make=_write("run.yaml", ""),
    ),
    Case(
        "config-yaml-python-tag",
        (*FIT_TINY, "--config", "{tmp}/run.yaml"),
        "run.yaml",
        make=lambda t: (t / "run.yaml").write_text(
            f"data: !!python/object/apply:os.system ['touch {t}/pwned']\n"
        ),
        what="a run file with a YAML tag that would run a command",
    ),
    Case("predict-text-to-image-model", ("predict", "{model}", "a good film"), "a good film"),
    Case("predict-empty-text", ("predict", "{text_model}", ""), "empty"),
    Case("predict-one-empty-text", ("predict", "{text_model}", "a good film", " "), "Input 2"),
    Case(
        "predict-folder-of-non-images",
        ("predict", "{model}", "{tmp}/n"),
        "n",
        make=_write("n/a.txt", "hello"),
    ),
    Case(
        "predict-text-column-missing",
        ("predict", "{text_model}", "{texts}/test.csv", "--text-column", "body"),
        "body",
    ),
    Case("rank-no-models", ("rank", "{images}", "--models", ","), "models"),
    Case(
        "compare-seeds-text",
        ("compare", "{images_split}", "-m", "tiny-cnn", "--test-split", "val", "--seeds", "abc"),
        "abc",
    ),
    Case(
        "explore-clusters-more-than-examples",
        ("explore", "{images}", "-m", "tiny-cnn", "--clusters", "1000"),
        "clusters",
    ),
    Case(
        "adapt-target-with-no-images",
        ("adapt", "--source", "{images}", "--target", "{tmp}/n", "-m", "tiny-cnn"),
        "n",
        make=_write("n/a.txt", "hello"),
    ),
]


def _sound(path: Path, seconds: float = 0.4, rate: int = 8000, **kw: object) -> None:
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    freq = 300 if "low" in str(path) else 900
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate, **kw)


def _recordings(extra: Callable[[Path], None] | None = None, manifest: bool = False) -> Make:
    """``rec/{low,high}/<n>.wav`` (four tones each), one bad file written by ``extra``,
    and with ``manifest`` a ``rec.csv`` listing them with a speaker column."""

    def make(tmp: Path) -> None:
        rows = ["path,label,speaker"]
        for label in ("low", "high"):
            for i in range(4):
                _sound(tmp / "rec" / label / f"{i}.wav")
                rows.append(f"rec/{label}/{i}.wav,{label},s{i % 2}")
        if extra is not None:
            extra(tmp / "rec")
        if manifest:
            (tmp / "rec.csv").write_text("\n".join(rows) + "\n")

    return make


def _silent(folder: Path) -> None:
    import numpy as np
    import soundfile as sf

    sf.write(folder / "low" / "quiet.wav", np.zeros(4000, dtype=np.float32), 8000)


def _missing_row(folder: Path) -> None:
    (folder.parent / "rec.csv").write_text(
        "path,label\n"
        + "".join(f"rec/{c}/{i}.wav,{c}\n" for c in ("low", "high") for i in range(4))
        + "rec/low/gone.wav,low\n"
    )


FIT_AUDIO = ("fit", "-m", "mfcc")

#: issue 17: recordings
AUDIO_CASES = [
    Case(
        "corrupt-recording",
        (*FIT_AUDIO, "{tmp}/rec"),
        "bad.wav",
        outcome="skip",
        make=_recordings(lambda f: (f / "low" / "bad.wav").write_bytes(b"RIFF\0\0\0\0WAVEjunk")),
        what="a .wav file that is not audio",
    ),
    Case(
        "zero-length-recording",
        (*FIT_AUDIO, "{tmp}/rec"),
        "empty.wav",
        outcome="skip",
        make=_recordings(lambda f: _sound(f / "low" / "empty.wav", seconds=0)),
        what="a recording with no samples",
    ),
    Case(
        "silent-recording",
        (*FIT_AUDIO, "{tmp}/rec"),
        "quiet.wav",
        outcome="skip",
        make=_recordings(_silent),
        what="a recording of pure silence",
    ),
    Case(
        "silent-recording-error",
        (*FIT_AUDIO, "{tmp}/rec", "--on-bad-input", "error"),
        "silent",
        make=_recordings(_silent),
        what="a silent recording under --on-bad-input error",
    ),
    Case(
        "one-hour-recording",
        (*FIT_AUDIO, "{tmp}/rec"),
        "session.wav",
        outcome="skip",
        make=_recordings(
            lambda f: _sound(f / "high" / "session.wav", 3600, 4000, subtype="PCM_U8")
        ),
        what="a one-hour recording among clips",
    ),
    Case(
        "twelve-channel-recording",
        (*FIT_AUDIO, "{tmp}/rec"),
        "many.wav",
        outcome="skip",
        make=_recordings(lambda f: _multichannel(f / "high" / "many.wav", 12)),
        what="a recording with 12 channels",
    ),
    Case(
        "stereo-recording",
        (*FIT_AUDIO, "{tmp}/rec"),
        "Model not saved",
        outcome="ok",
        make=_recordings(lambda f: _multichannel(f / "high" / "stereo.wav", 2)),
        what="a stereo recording among mono ones (mixed to mono)",
    ),
    Case(
        "manifest-missing-file",
        (*FIT_AUDIO, "{tmp}/rec.csv"),
        "gone.wav does not exist",
        outcome="skip",
        make=_recordings(_missing_row),
        what="a manifest row naming a file that is not there",
    ),
    Case(
        "manifest-wrong-path-column",
        (*FIT_AUDIO, "{tmp}/rec.csv", "--path-column", "label"),
        "does not name audio or image files",
        make=_recordings(manifest=True),
    ),
    Case(
        "group-column-missing",
        (*FIT_AUDIO, "{tmp}/rec.csv", "--group-column", "voice"),
        "no column 'voice'",
        make=_recordings(manifest=True),
    ),
    Case(
        "group-column-on-a-folder",
        (*FIT_AUDIO, "{tmp}/rec", "--group-column", "speaker"),
        "manifest",
        make=_recordings(),
    ),
    Case(
        "test-group-unknown",
        (*FIT_AUDIO, "{tmp}/rec.csv", "--group-column", "speaker", "--test-group", "s9"),
        "No group 's9'",
        make=_recordings(manifest=True),
    ),
    Case(
        "test-group-without-column",
        (*FIT_AUDIO, "{tmp}/rec.csv", "--test-group", "s1"),
        "give that column too",
        make=_recordings(manifest=True),
    ),
    Case(
        "scratch-cnn-as-pretrained",
        ("fit", "-m", "audio-cnn", "{tmp}/rec"),
        "--strategy scratch",
        make=_recordings(),
        what="the from-scratch audio CNN asked for pretrained features",
    ),
    Case(
        "hf-audio-offline",
        ("fit", "-m", "hf:facebook/wav2vec2-base", "{tmp}/rec"),
        "hub cannot be reached",
        make=_recordings(),
        what="a Hugging Face speech model that is not cached, offline",
    ),
    Case(
        "export-an-audio-model",
        ("export", "{tmp}/m", "--out", "{tmp}/e"),
        "transferkit serve",
        make=lambda t: _fit_audio(t),
        what="an audio model given to export (not supported yet)",
    ),
    Case(
        "audio-model-given-images",
        ("fit", "-m", "mfcc", "{images}"),
        "audio",
        what="an audio backbone on a folder of images",
    ),
]


def _fit_audio(tmp: Path) -> None:
    import transferkit

    _recordings()(tmp)
    transferkit.fit(tmp / "rec", "tiny-audio", "linear-probe", out=tmp / "m")


def _multichannel(path: Path, channels: int) -> None:
    import numpy as np
    import soundfile as sf

    t = np.arange(3200) / 8000
    wave = 0.3 * np.sin(2 * np.pi * 500 * t)
    sf.write(path, np.stack([wave] * channels, 1).astype(np.float32), 8000)


CASES = (
    DATA_CASES
    + MORE_DATA_CASES
    + OPTION_CASES
    + MORE_OPTION_CASES
    + OUT_CASES
    + MARKUP_CASES
    + MODEL_CASES
    + MORE_USE_CASES
    + STUDY_CASES
    + EDGE_CASES
    + AUDIO_CASES
)


def table() -> str:
    """The docs table: one row per case, with the message an error case prints."""
    messages = json.loads(MESSAGES.read_text()) if MESSAGES.exists() else {}
    lines = [
        "| case | the bad input | command | outcome: what the user reads |",
        "|---|---|---|---|",
    ]
    for c in CASES:
        command = " ".join(c.args)
        said = messages.get(c.id, "") if c.outcome == "error" else f"(shows: {c.expect})"
        cells = [
            f"`{c.id}`",
            c.what or c.id.replace("-", " "),
            f"`transferkit {command}`",
            f"{c.outcome}: {said}",
        ]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines) + "\n"


def write_docs() -> None:
    """Replace the table in docs/bad-inputs.md (everything after its introduction)."""
    docs = Path(__file__).parents[2] / "docs" / "bad-inputs.md"
    text = docs.read_text()
    docs.write_text(text[: text.index("| case |")] + table())


if __name__ == "__main__":
    write_docs()
