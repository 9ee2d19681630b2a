"""A third-party distribution adds one plug-in of each kind — a strategy, a
domain-adaptation method, a transferability score and a backbone source — each in one
file, registered through the ``transferkit.plugins`` entry point and nothing else; the
command line and the Python API then use them like built-ins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import write_image_folder

PLUGINS = {
    "centroid.py": '''
        """A strategy: nearest class centroid on the frozen features."""
        from dataclasses import dataclass

        import numpy as np
        import torch

        from transferkit.config import option
        from transferkit.strategies import (
            Strategy, StrategyConfig, StrategyResult, register_strategy,
        )


        @dataclass
        class CentroidConfig(StrategyConfig):
            scale: float = option(10.0, "Logit scale of the distances.", min=0)


        @register_strategy("nearest-centroid")
        class NearestCentroid(Strategy[CentroidConfig]):
            summary = "class means of the frozen features (a plug-in)"
            Config = CentroidConfig
            keeps_backbone = True

            def fit(self, model, ctx):
                model.freeze_backbone()
                x = ctx.features(model.backbone, ctx.splits.train, "train")
                means = np.stack([x[ctx.y_train == c].mean(0) for c in range(model.num_classes)])
                s = self.config.scale
                with torch.no_grad():  # -s/2 ||x - m||^2 up to a term shared by all classes
                    model.head.weight.copy_(torch.from_numpy(s * means).float())
                    model.head.bias.copy_(torch.from_numpy(-s / 2 * (means**2).sum(1)).float())
                return StrategyResult(notes=[f"{len(means)} centroids"])
    ''',
    "meanmatch.py": '''
        """A domain-adaptation method: match the means of source and target features."""
        from transferkit.strategies import register_strategy
        from transferkit.strategies.adaptation.base import AdaptationMethod, MethodPenalty


        def mean_gap(d, progress):
            return ((d.source_features.mean(0) - d.target_features.mean(0)) ** 2).sum()


        @register_strategy("mean-match")
        class MeanMatch(AdaptationMethod):
            summary = "adaptation: align the feature means of both domains (a plug-in)"

            def penalty(self, domain, in_features):
                return MethodPenalty(domain, mean_gap, self.config.weight), []
    ''',
    "fisher.py": '''
        """A transferability score: between-class over within-class variance."""
        import numpy as np

        from transferkit.scores import register_score


        @register_score(
            "fisher", title="Fisher ratio", needs="features",
            description="Between-class over within-class variance of the features.",
        )
        def fisher(features, labels):
            labels = np.asarray(labels)
            mu = features.mean(0)
            classes = np.unique(labels)
            between = sum((labels == c).sum() * ((features[labels == c].mean(0) - mu) ** 2).sum()
                          for c in classes)
            within = sum(((features[labels == c] - features[labels == c].mean(0)) ** 2).sum()
                         for c in classes)
            return float(between / max(within, 1e-12))
    ''',
    "randcnn.py": '''
        """A backbone source: ``randcnn:WIDTH``, a random two-block CNN."""
        import torch
        from torch import nn

        from transferkit.backbones import (
            ImagePreprocessing, SequentialImageBackbone, register_source,
        )


        @register_source("randcnn", description="a random CNN (a plug-in)", example="randcnn:8")
        def randcnn(name, pretrained=True, files=None, weights=None):
            width = int(name)
            with torch.random.fork_rng():
                torch.manual_seed(0)
                blocks = [nn.Sequential(nn.Conv2d(3, width, 3, 2, 1), nn.ReLU()),
                          nn.Sequential(nn.Conv2d(width, width, 3, 2, 1), nn.ReLU())]
            prep = ImagePreprocessing(size=32, resize=36, mean=(0.5,) * 3, std=(0.5,) * 3)
            return SequentialImageBackbone(f"randcnn:{name}", blocks, width, prep).eval()
    ''',
}

DRIVER = """
import contextlib, io, json, sys
from transferkit.cli.main import main

def run(*args):
    try:
        main(list(args))
        return 0
    except SystemExit as exc:
        return exc.code or 0

data, target, out = sys.argv[1:4]
codes = {
    "strategies": run("strategies"),
    "scores": run("scores"),
    "models": run("models"),
    "fit": run("fit", data, "-m", "randcnn:8", "-s", "nearest-centroid", "--scale", "5",
               "--out", out + "/fit"),
    "adapt": run("adapt", "--source", data, "--target", target, "-m", "tiny-cnn",
                 "--method", "mean-match", "--epochs", "2", "--out", out + "/adapt"),
}
ranked = io.StringIO()
with contextlib.redirect_stdout(ranked):
    codes["rank"] = run("rank", data, "--models", "randcnn:8,tiny-cnn", "--scores", "fisher,knn",
                        "--format", "json")
open(out + "/rank.json", "w").write(ranked.getvalue())
print("CODES " + json.dumps(codes))
"""


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], str, Path]:
    root = tmp_path_factory.mktemp("site")
    package = root / "tk_demo_plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, code in PLUGINS.items():
        (package / name).write_text(textwrap.dedent(code))
    info = root / "tk_demo_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tk-demo-plugins\nVersion: 0.1\n")
    entries = "".join(f"{n[:-3]} = tk_demo_plugins.{n[:-3]}\n" for n in PLUGINS)
    (info / "entry_points.txt").write_text("[transferkit.plugins]\n" + entries)
    data = write_image_folder(root / "data", 10, seed=1)
    target = write_image_folder(root / "target", 6, seed=2)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.getcwd()])}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(data), str(target), str(root / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("CODES ")), None)
    assert line is not None, proc.stderr[-3000:]
    return json.loads(line[6:]), proc.stdout, root / "out"


def test_every_command_ran(plugin_run):
    codes, stdout, _ = plugin_run
    assert codes == dict.fromkeys(codes, 0), stdout[-3000:]


def test_the_plugins_are_listed_with_the_built_ins(plugin_run):
    _, stdout, _ = plugin_run
    for name in ("nearest-centroid", "mean-match", "linear-probe", "fisher", "randcnn:NAME"):
        assert name in stdout


def test_the_plugin_strategy_trained_on_the_plugin_backbone(plugin_run):
    _, _, out = plugin_run
    config = json.loads((out / "fit" / "config.json").read_text())
    metrics = json.loads((out / "fit" / "metrics.json").read_text())
    assert config["strategy"]["name"] == "nearest-centroid"
    assert config["strategy"]["config"] == {"scale": 5.0}
    assert config["backbone"]["source"] == "randcnn:8"
    assert metrics["val"]["accuracy"] > 0.7  # striped colour classes: centroids separate them


def test_the_plugin_method_adapted_and_the_plugin_score_ranked(plugin_run):
    _, _, out = plugin_run
    config = json.loads((out / "adapt" / "config.json").read_text())
    assert config["strategy"]["name"] == "mean-match" and config["head"]["type"] == "bottleneck"
    ranking = json.loads((out / "rank.json").read_text())
    assert ranking["scores"]["fisher"]["title"] == "Fisher ratio"
    values = [c["scores"]["fisher"]["value"] for c in ranking["backbones"]]
    assert len(values) == 2 and all(v > 0 for v in values)
