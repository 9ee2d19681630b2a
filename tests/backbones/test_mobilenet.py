"""transferkit's MobileNetV2 is torchvision's, without importing torchvision."""

from __future__ import annotations

import subprocess
import sys

import torch
from torchvision.models import MobileNet_V2_Weights, mobilenet_v2

from transferkit.backbones import create_backbone
from transferkit.backbones.mobilenet import MobileNetV2, imagenet_classes
from transferkit.backbones.torchvision_models import IMAGENET1K_V1, preprocessing_from_transforms


def test_the_same_network_initialisation_and_forward_pass_as_torchvisions():
    torch.manual_seed(3)
    ours = MobileNetV2()
    torch.manual_seed(3)
    theirs = mobilenet_v2()
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)  # names and order: torchvision's checkpoints load as they are
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)  # same seed
    x = torch.randn(2, 3, 224, 224)
    torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), rtol=0, atol=0)


def test_the_packaged_backbone_keeps_its_preprocessing_classes_and_fingerprint():
    weights = MobileNet_V2_Weights.IMAGENET1K_V1
    assert preprocessing_from_transforms(weights.transforms()) == IMAGENET1K_V1
    assert imagenet_classes() == list(weights.meta["categories"])
    backbone = create_backbone("mobilenet_v2")
    assert backbone.source_classes == imagenet_classes() and len(backbone.source_classes) == 1000
    # the fingerprint since evaluation resizes with Pillow (resampler "pil"): the weights
    # are those of torchvision's network (commit 8989716); features cached before the
    # change, resized as tensors, are not reused, on purpose
    assert backbone.fingerprint() == FINGERPRINT


FINGERPRINT = "1ddc797819f88f870eb64acf605b459b"


def test_building_it_imports_no_torchvision():
    code = (
        "import sys; from transferkit.backbones import create_backbone; "
        "create_backbone('mobilenet_v2'); print('torchvision' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
