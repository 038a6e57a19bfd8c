"""The strength slider's calibration: at the default strength the subject stays recognisable.

    python bench/style_strength.py [--steps 200] [--size 256]

The calibration setting (256 px, 200 L-BFGS steps, Starry Night without its frame) on the bundled
photos: the content distance each run ends at (core/style/losses.py, ``content_distance``: how far
the result's layout has moved from the photo's, as VGG sees it) at the default strength and at
full strength, against the bound the page shows (``CONTENT_DISTANCE_BOUND``). The default must end
inside the bound on every photo, and full strength further from the photo than the default (past
the bound on the hard case, the cat; a portrait keeps its structure even at full strength), or the
slider's scale needs a new calibration (docs/style-transfer.md, "strength"). About ten minutes per
run on 2 shared CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core import images, style  # noqa: E402
from core.style import pictures  # noqa: E402

PHOTOS = ("Cat (Chelsea)", "Grace Hopper")


def final_distance(photo, painting, strength: float, size: int, steps: int) -> float:
    config = style.StyleConfig(
        size=size, steps=steps, style_weight=style.style_weight_for(strength), preview_every=steps + 1
    )
    *_, last = style.stylise(photo, [painting], config)
    return last.metrics["content_distance"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    arguments = parser.parse_args()
    painting = pictures.trim_frame(images.load_sample("Starry Night"))[0]
    bound = style.CONTENT_DISTANCE_BOUND
    print(
        f"content distance after {arguments.steps} L-BFGS steps at {arguments.size} px, Starry Night; "
        f"the bound: {bound}"
    )
    print(
        f"{'photo':<16} {'default ' + str(style.STRENGTH_DEFAULT):>12} {'full 1.0':>10} {'verdict':>8} {'seconds':>8}"
    )
    failures = 0
    for name in PHOTOS:
        photo = images.load_sample(name)
        started = time.perf_counter()
        default = final_distance(photo, painting, style.STRENGTH_DEFAULT, arguments.size, arguments.steps)
        full = final_distance(photo, painting, 1.0, arguments.size, arguments.steps)
        held = 0.3 < default <= bound and full > default
        failures += not held
        seconds = time.perf_counter() - started
        print(f"{name:<16} {default:>12.3f} {full:>10.3f} {'holds' if held else 'FAILS':>8} {seconds:>8.0f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
