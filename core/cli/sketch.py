"""``sketch``, ``sketch-train``, ``sketch-eval``, ``pencil`` and ``sketch-video`` (core.sketch)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from core.cli.batch import expand_inputs
from core.cli.events import EXIT_BAD_INPUT, Recorder, consume
from core.cli.stamps import add_settings_option, input_hashes, pick, required, stamp_outputs, with_base
from core.cli.sweeps import add_sweep_option, run_sweep
from core.cli.video import clip_command, run_clip
from core.configs import add_arguments, spec
from core.sketch.config import SketchConfig


def add(tools) -> None:
    from core.sketch.config import STYLES  # plain settings; no framework

    command = tools.add_parser(
        "sketch",
        help="turn a photo into a pencil drawing with a trained network",
        description="Sketch PHOTO with a shipped model (256 or 512) or a trained one.",
    )
    command.add_argument(
        "photo", help="a photo; or a folder, a zip of photos or a quoted glob, as one batch (then --output-dir)"
    )
    command.add_argument("more", nargs="*", metavar="PHOTO", help="more photos, folders, zips or globs: one batch")
    command.add_argument("--output", help="sketch PNG to write (one PHOTO)")
    command.add_argument(
        "--output-dir",
        help="a batch: one PNG per photo, named after it; the model is loaded once, and a photo that cannot be "
        "read is said (exit 2) while the rest are drawn",
    )
    command.add_argument("--model", default="256", help="256 or 512 (shipped), or a .keras / .weights.h5 file")
    command.add_argument(
        "--working-side",
        type=int,
        help="longer side the photo is sketched at (default: the model's size; above twice "
        "that it is sketched in tiles)",
    )
    command.add_argument("--darkness", type=float, default=1.0, help="gamma applied after the model (>1 darker)")
    command.add_argument("--line-weight", type=int, default=0, help="thicken (>0) or thin (<0) lines by N px")
    command.set_defaults(handler=run_sketch)
    train = tools.add_parser(
        "sketch-train",
        help="train a photo-to-sketch network (U-Net or plain autoencoder)",
        description="Train on the built-in pairs (offline photos + the slow pencil drawing) or on "
        "a zip of photos/ and sketches/ (or A/ and B/) with matching names. The "
        "best weights are written whenever the validation MAE improves.",
    )
    # Every training setting comes from SketchConfig's declarations (help, choices, default).
    add_arguments(train, SketchConfig, ["data", "size"])
    train.add_argument(
        "--epochs", type=int, help=spec(SketchConfig, "epochs").help + " (required, unless --settings gives it)"
    )
    add_settings_option(train, "sketch-train")
    train.add_argument("--output-weights", required=True, help=".keras (model) or .weights.h5 (weights) to write")
    train.add_argument("--metrics-json", help="write per-epoch and final metrics here")
    add_arguments(
        train,
        SketchConfig,
        [
            "batch_size",
            "learning_rate",
            "patience",
            "validation_split",
            "pairs",
            "style",
            "architecture",
            "width",
            "depth",
            "perceptual",
        ],
    )
    train.add_argument("--no-flip", action="store_true", help="no random horizontal flips")
    add_arguments(train, SketchConfig, ["rotate", "init"])
    train.add_argument("--strip-output", help="also save the best epoch's photo | target | prediction strip")
    add_arguments(train, SketchConfig, ["seed"])
    add_sweep_option(train)
    train.set_defaults(handler=run_sketch_train)
    evaluate = tools.add_parser(
        "sketch-eval",
        help="score a sketch model on the held-out built-in pairs",
        description="MAE, SSIM and PSNR against the drawing the model learned, on the "
        "built-in validation pairs (whole photos held out), beside a blank page "
        "and the mean sketch; and the model's speed against the method's.",
    )
    evaluate.add_argument("--model", default="256", help="256 or 512 (shipped), or a model file")
    evaluate.add_argument("--size", type=int, choices=[256, 512], default=256, help="size of the pairs")
    evaluate.add_argument(
        "--pairs", type=int, default=960, help="crops cut (the shipped 256 model's setting; at --size 512 use 240)"
    )
    evaluate.add_argument("--style", choices=list(STYLES), default="pencil", help="what drew the targets")
    evaluate.add_argument(
        "--speed-sides",
        default="256,512",
        help="longer sides to time model and method at, comma-separated ('' to skip)",
    )
    evaluate.add_argument("--seed", type=int, default=0, help="the seed the pairs were cut with")
    evaluate.add_argument("--json", action="store_true", help="print JSON, for programs")
    evaluate.add_argument("--metrics-json", help="also write the scores as JSON here (beside the printed table)")
    evaluate.set_defaults(handler=run_sketch_eval)
    slow = tools.add_parser(
        "pencil",
        help="the slow classical pencil drawing (Lu, Xu and Jia 2012) of a photo",
        description="Draw PHOTO with pencil strokes along its edges and hatched tone (the "
        "method the sketch networks learned). Seconds per picture; photos over "
        "1600 px are drawn at 1600 px.",
    )
    slow.add_argument("photo")
    slow.add_argument("--output", required=True, help="drawing PNG to write")
    slow.add_argument("--working-side", type=int, help="longer side to draw at (default: the photo's, capped)")
    slow.set_defaults(handler=run_pencil)
    serve = tools.add_parser("sketch-serve", help="(internal) answer sketch requests on stdin for the app")
    serve.set_defaults(handler=lambda arguments: __import__("core.sketch.server").sketch.server.serve() or 0)


def run_sketch(arguments) -> int:
    import tempfile

    import numpy as np

    from core import images, sketch

    if (arguments.output is None) == (arguments.output_dir is None):
        raise ValueError("Give --output (one photo) or --output-dir (a batch), one of them.")
    with tempfile.TemporaryDirectory(prefix="atelier-sketch-") as unpacked:
        names = expand_inputs([arguments.photo, *arguments.more], Path(unpacked))
        if arguments.output is not None and len(names) > 1:
            raise ValueError(f"{len(names)} photos: give --output-dir for their sketches.")
        first = np.asarray(images.load_image(names[0])) if arguments.output else None  # before TensorFlow loads
        model_path = sketch.resolve_model_path(arguments.model)
        from core.sketch import inference, model

        network = model.load_model(model_path)  # once for the batch
        failures = 0
        for name in names:
            try:
                photo = first if first is not None else np.asarray(images.load_image(name))
            except ValueError as error:
                print(f"error: {name}: {error}", file=sys.stderr)
                failures += 1
                continue
            drawn = sketch.adjust(
                inference.sketch_photo(network, photo, working_side=arguments.working_side),
                arguments.darkness,
                arguments.line_weight,
            )
            output = Path(arguments.output or Path(arguments.output_dir) / f"{Path(name).stem}.png")
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(images.to_png_bytes(drawn))
            print(f"saved {output} ({drawn.shape[1]}x{drawn.shape[0]})", file=sys.stderr)
    return EXIT_BAD_INPUT if failures else 0


def run_pencil(arguments) -> int:
    import numpy as np

    from core import images, sketch
    from core.sketch import pencil

    photo = np.asarray(images.load_image(arguments.photo))
    if arguments.working_side is not None:
        if not 32 <= arguments.working_side <= 8192:
            raise ValueError("--working-side must be between 32 and 8192 px.")
        photo = sketch.resize_to_side(photo, arguments.working_side)
    if max(photo.shape[:2]) > pencil.LARGEST_SIDE:  # said before the seconds start, not after
        print(
            f"{photo.shape[1]}x{photo.shape[0]} is over the slow method's {pencil.LARGEST_SIDE} px cap: "
            f"drawing it at {pencil.LARGEST_SIDE} px",
            file=sys.stderr,
        )
    drawing, times, _ = pencil.draw(photo)
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(images.to_png_bytes(drawing))
    print(
        f"saved {output} ({drawing.shape[1]}x{drawing.shape[0]}) in {times.total:.2f} s (strokes "
        f"{times.strokes:.2f} s, tone {times.tone:.2f} s, texture {times.texture:.2f} s)",
        file=sys.stderr,
    )
    return 0


def run_sketch_eval(arguments) -> int:
    from core import sketch

    sides = [int(side) for side in arguments.speed_sides.split(",") if side.strip()] if arguments.speed_sides else []
    if any(not 32 <= side <= 4096 for side in sides):
        raise ValueError("--speed-sides must be sides between 32 and 4096 px, e.g. 256,512.")
    config = sketch.SketchConfig(size=arguments.size, pairs=arguments.pairs, style=arguments.style, seed=arguments.seed)
    model_path = sketch.resolve_model_path(arguments.model)
    pairs = sketch.builtin_pairs(config)
    from core.sketch import evaluation, model

    network = model.load_model(model_path)
    scores = evaluation.held_out_scores(network, pairs)
    scores["validation_pairs"] = len(pairs.validation_photos)
    speeds = [evaluation.speed(network, pairs.validation_photos[:4], side, config.style) for side in sides]
    report = {**scores, "validation_sources": pairs.validation_sources, "speed": speeds}
    if arguments.metrics_json:
        Path(arguments.metrics_json).write_text(json.dumps(report, indent=1))
    if arguments.json:
        print(json.dumps(report, indent=1))
        return 0
    print(
        f"{len(pairs.validation_photos)} held-out pairs of {config.size} px from "
        f"{', '.join(pairs.validation_sources)}; targets: {config.style}"
    )
    print(f"{'':12} {'MAE':>7} {'SSIM':>6} {'PSNR dB':>8}")
    for label, prefix in (("model", ""), ("blank page", "white_page_"), ("mean sketch", "mean_sketch_")):
        print(f"{label:12} {scores[prefix + 'mae']:7.4f} {scores[prefix + 'ssim']:6.3f} {scores[prefix + 'psnr']:8.2f}")
    for speed in speeds:
        print(
            f"at {speed['side']}x{speed['side']} px (median of {speed['pictures']} pictures): model "
            f"{speed['model_seconds'] * 1000:.1f} ms, {config.style} {speed['method_seconds'] * 1000:.1f} ms: "
            f"{speed['speedup']:.1f}x faster"
        )
    return 0


TRAIN_FLAGS = (
    "size",
    "batch_size",
    "learning_rate",
    "patience",
    "validation_split",
    "rotate",
    "data",
    "style",
    "pairs",
    "init",
    "seed",
    "architecture",
    "width",
    "depth",
    "perceptual",
)


def sketch_train_config(arguments):
    """The SketchConfig of a parsed ``sketch-train`` command, in one call (flag, else the
    ``--settings`` file, else the default)."""
    from core import configs, sketch

    values = {name: pick(arguments, name) for name in TRAIN_FLAGS}
    values["epochs"] = required(arguments, "epochs", "--epochs")
    values["flip"] = False if arguments.no_flip else pick(arguments, "flip", default=True)
    return configs.from_dict(sketch.SketchConfig, with_base(arguments, values))


def run_sketch_train(arguments) -> int:
    from core import images, sketch

    config = sketch_train_config(arguments)
    output = Path(arguments.output_weights)
    if not (output.name.endswith(".weights.h5") or output.suffix == ".keras"):
        raise ValueError("--output-weights must end in .keras or .weights.h5.")
    if arguments.sweep:
        from core.sketch import sweep

        return run_sweep(sweep.job, sketch.SketchConfig, config, arguments.sweep, output, arguments.metrics_json)
    pairs = sketch.load_pairs(config)
    print(
        f"{len(pairs.train_photos)} training and {len(pairs.validation_photos)} validation pairs of {config.size} px",
        file=sys.stderr,
    )
    from core.sketch import training

    recorder = Recorder(only_with_metrics=True)  # one record per epoch

    def save_strip(event) -> None:
        if event.result is not None and arguments.strip_output:
            Path(arguments.strip_output).write_bytes(images.to_png_bytes(event.result))

    def finish(last) -> None:
        if arguments.metrics_json:
            recorder.write_json(
                arguments.metrics_json,
                key="epochs",
                config=dataclasses.asdict(config),
                final=recorder.final,
                train_pairs=len(pairs.train_photos),
                validation_pairs=len(pairs.validation_photos),
                train_sources=pairs.sources,
                validation_sources=pairs.validation_sources,
                wall_seconds=round(time.time() - recorder.started, 1),
            )

    # A line per epoch (the events with metrics) and a pulse every 15 s between them.
    status = consume(
        training.train(config, output, pairs),
        line=lambda event, seconds: event.message,
        every=15.0,
        always=lambda event: bool(event.metrics and event.message),
        watchers=(recorder, save_strip),
        interrupted=lambda: (
            f"interrupted: the best weights so far are in {output}" if output.exists() else "interrupted"
        ),
        finish=finish,
    )
    if output.exists():
        print(f"saved {output}", file=sys.stderr)
    if arguments.strip_output:
        stamp_outputs("sketch-train", config, [arguments.strip_output])
    return status


def add_video(tools) -> None:
    from core.sketch.video import SketchVideoConfig

    defaults = SketchVideoConfig()
    command = clip_command(tools, "sketch-video", "a video clip drawn in pencil by the sketch network, frame by frame")
    command.add_argument("--model", default=defaults.model, help="256, 512 (the shipped models) or a .keras file")
    command.add_argument("--working-side", type=int, default=defaults.working_side, help="the frames' longer side, px")
    command.add_argument("--darkness", type=float, default=defaults.darkness)
    command.add_argument("--line-weight", type=int, default=defaults.line_weight)
    add_settings_option(command, "sketch-video")
    command.set_defaults(handler=run_sketch_video)


def run_sketch_video(arguments) -> int:
    from core import configs
    from core.sketch import video

    names = ("model", "working_side", "darkness", "line_weight", "max_seconds")
    values = with_base(arguments, {name: pick(arguments, name) for name in names})
    config = configs.from_dict(video.SketchVideoConfig, values)
    status = run_clip(
        lambda output: video.sketch_clip(arguments.clip, output, config),
        arguments,
        video.clip_plan(arguments.clip, config),
    )
    from core import tools

    stamped = dataclasses.replace(config, model=tools.portable_model(config.model))  # no path of this machine
    stamp_outputs(
        "sketch-video",
        stamped,
        [arguments.output],
        inputs=input_hashes([arguments.clip]),
        weights=tools.weights_of("sketch-video", dataclasses.asdict(config)),
    )
    return status
