"""``transferkit serve``: the real server on a free loopback port, talked to over HTTP."""

from __future__ import annotations

import base64
import concurrent.futures
import csv
import http.client
import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

import transferkit
from tests.conftest import write_audio_folder, write_image_folder, write_text_table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``transferkit serve`` subprocess and a small HTTP client for it."""

    def __init__(self, model_dir: Path, *extra: str) -> None:
        self.model_dir = model_dir
        self.port = _free_port()
        command = [sys.executable, "-m", "transferkit.cli.main", "serve", str(model_dir)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read())
            try:
                if self.get("/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError("the server did not become ready in 90 s")

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            kind = response.getheader("content-type", "")
            return response.status, json.loads(data) if "json" in kind else data
        finally:
            conn.close()

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, payload) -> tuple[int, dict]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", "/predict", body, {"Content-Type": "application/json"})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _upload(files: list[Path], field: str = "images") -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    kind = "audio/wav" if field == "recordings" else "image/png"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{f.name}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode()
        + f.read_bytes()
        + b"\r\n"
        for f in files
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture(scope="module")
def text_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve-text")
    table = write_text_table(root / "t.csv", 40)
    transferkit.fit(table, "tiny-bert", "linear-probe", out=root / "m")
    server = Server(root / "m", "--max-items", "8", "--max-body-mb", "0.05")
    with open(table, newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)]
    yield server, transferkit.load(root / "m"), texts
    server.stop()


@pytest.fixture(scope="module")
def image_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve-images")
    data = write_image_folder(root / "imgs", 8)
    transferkit.fit(data, "tiny-cnn", "linear-probe", out=root / "m")
    server = Server(root / "m")
    yield server, transferkit.load(root / "m"), sorted(data.rglob("*.png"))
    server.stop()


def test_health_ready_and_metadata(text_server):
    server, model, _ = text_server
    assert server.get("/health") == (200, {"status": "ok"})
    assert server.get("/ready") == (200, {"ready": True})
    code, meta = server.get("/metadata")
    assert code == 200 and meta["classes"] == model.classes_ and meta["modality"] == "text"
    assert len(meta["sha256"]) == 64 and meta["training"]["held_out"] in ("test", "val", "cv")
    assert meta["limits"]["max_items"] == 8
    code, docs = server.get("/openapi.json")
    assert code == 200 and "/predict" in docs["paths"]


def test_texts_are_predicted_as_the_model_predicts_them(text_server):
    server, model, texts = text_server
    code, got = server.post({"texts": texts[:6]})
    assert code == 200
    assert [p["label"] for p in got["predictions"]] == model.predict(texts[:6])
    proba = np.array([[p["probabilities"][c] for c in model.classes_] for p in got["predictions"]])
    np.testing.assert_allclose(proba, model.predict_proba(texts[:6]), atol=1e-6)
    assert all(isinstance(p["unfamiliar"], bool) for p in got["predictions"])


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        (b"{not json", 422, "not JSON"),
        ({"images": ["aGk="]}, 422, 'no "texts" list (this is a text model)'),
        ({"texts": ["fine", "  "]}, 422, "texts[1] is an empty text"),
        ({"texts": ["fine", 3]}, 422, "texts[1] is not a text (an int)"),
        ({"texts": "a film"}, 422, '"texts" must be a list'),
        ({"texts": []}, 422, "no inputs"),
        ({"texts": ["a film"] * 9}, 413, "at most 8"),
        ({"texts": ["x" * 60_000]}, 413, "over this server's"),
        ([1, 2], 422, "JSON object"),
    ],
)
def test_bad_requests_get_one_sentence_and_the_server_stays_up(text_server, body, code, fragment):
    server, _, texts = text_server
    status, answer = server.post(body)
    assert (status, fragment in answer["detail"]) == (code, True), answer
    assert answer["detail"].endswith(".") and "\n" not in answer["detail"]
    assert server.post({"texts": texts[:1]})[0] == 200


def test_concurrent_requests_are_batched(text_server):
    server, model, texts = text_server
    _, before = server.get("/metadata")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda t: server.post({"texts": [t]}), texts[:32]))
    assert all(code == 200 for code, _ in answers)
    assert [a["predictions"][0]["label"] for _, a in answers] == model.predict(texts[:32])
    _, after = server.get("/metadata")
    assert after["batches_run"] - before["batches_run"] < 32  # some requests shared a batch


def test_images_by_base64_and_by_upload(image_server):
    server, model, files = image_server
    encoded = [base64.b64encode(f.read_bytes()).decode() for f in files[:4]]
    code, got = server.post({"images": encoded})
    assert code == 200 and [p["label"] for p in got["predictions"]] == model.predict(files[:4])
    body, headers = _upload(files[:3])
    code, got = server.request("POST", "/predict", body, headers)
    assert code == 200 and [p["label"] for p in got["predictions"]] == model.predict(files[:3])
    code, bad = server.post({"images": [encoded[0], base64.b64encode(b"not an image").decode()]})
    assert code == 422 and bad["detail"].startswith("images[1] is not a readable image")
    code, bad = server.post({"images": ["%%%"]})
    assert code == 422 and "images[0] is not valid base64" in bad["detail"]


def test_recordings_by_base64_and_by_upload(tmp_path):
    data = write_audio_folder(tmp_path / "rec", 6)
    transferkit.fit(data, "tiny-audio", "linear-probe", out=tmp_path / "m")
    model, files = transferkit.load(tmp_path / "m"), sorted(data.rglob("*.wav"))
    server = Server(tmp_path / "m")
    try:
        assert server.get("/metadata")[1]["input"]["json"] == {"recordings": ["..."]}
        encoded = [base64.b64encode(f.read_bytes()).decode() for f in files[::3]]
        code, got = server.post({"recordings": encoded})
        assert code == 200
        assert [p["label"] for p in got["predictions"]] == model.predict(files[::3])
        body, headers = _upload(files[:2], "recordings")
        code, got = server.request("POST", "/predict", body, headers)
        assert [p["label"] for p in got["predictions"]] == model.predict(files[:2])
        code, bad = server.post({"recordings": [base64.b64encode(b"RIFF junk").decode()]})
        assert code == 422 and bad["detail"].startswith("recordings[0] is not a readable audio")
        code, bad = server.post({"images": encoded})
        assert code == 422 and "this is an audio model" in bad["detail"]
    finally:
        server.stop()


def test_it_binds_to_loopback_by_default(image_server):
    server, _, _ = image_server
    port = f"{server.port:04X}"
    with open("/proc/net/tcp") as fh:
        local = [line.split()[1] for line in fh.readlines()[1:]]
    listening = [addr for addr in local if addr.endswith(":" + port)]
    assert listening and all(addr.startswith("0100007F") for addr in listening), listening


def test_an_export_is_served_as_its_model_directory(image_server, tmp_path):
    from PIL import Image

    from transferkit.serving.app import Predictor

    server, _, files = image_server
    model_dir = server.model_dir
    transferkit.export(model_dir, tmp_path / "onnx")
    images = [Image.open(f).convert("RGB") for f in files[:4]]
    exported, direct = Predictor(tmp_path / "onnx")(images), Predictor(model_dir)(images)
    assert [p["label"] for p in exported] == [p["label"] for p in direct]
    assert [p["unfamiliar"] for p in exported] == [p["unfamiliar"] for p in direct]
