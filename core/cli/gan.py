"""``gan-train``, ``gan-sample``, ``gan-fid``, ``gan-classifier``, ``gan-eval``, ``gan-export`` (core.gan)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from core.cli.events import consume, drive
from core.cli.stamps import add_settings_option, pick, required, stamp_outputs, typed
from core.cli.sweeps import add_sweep_option, run_sweep
from core.configs import add_arguments, spec
from core.gan import SMALL_SET_DEFAULTS, GanConfig, SamplingConfig

GAN_SETTINGS = {field.name for field in dataclasses.fields(GanConfig)}


def add(tools) -> None:
    train = tools.add_parser(
        "gan-train",
        help="train a DCGAN on Fashion-MNIST or a folder of pictures (FastGAN for small sets)",
        description="Train a DCGAN, or with --small-set a FastGAN for a small set of pictures; "
        "the checkpoint is written after every epoch.",
    )
    # Every model setting comes from GanConfig's declarations (help, choices, default, flag).
    add_arguments(train, GanConfig, ["dataset"])
    train.add_argument(
        "--epochs", type=int, help=spec(GanConfig, "epochs").help + " (required, unless --settings gives it)"
    )
    add_settings_option(train, "gan")
    train.add_argument("--output", required=True, help="checkpoint file to write (e.g. gan.pt)")
    train.add_argument("--classes", type=int, nargs="*", default=[], help=spec(GanConfig, "classes").help)
    # These default to None and are resolved by gan_train_config: the DCGAN's defaults, the
    # folder defaults (64 px, RGB), or with --small-set gan.SMALL_SET_DEFAULTS; a flag given wins.
    with_small_set = {
        name: f"{spec(GanConfig, name).help} (default {spec(GanConfig, name).default!r}; "
        f"{SMALL_SET_DEFAULTS[name]!r} with --small-set)"
        for name in SMALL_SET_DEFAULTS
    }
    add_arguments(train, GanConfig, ["size", "channels"], default=None)
    add_arguments(train, GanConfig, ["latent"])
    add_arguments(
        train,
        GanConfig,
        ["ngf", "ndf", "batch_size", "g_learning_rate", "d_learning_rate"],
        default=None,
        helps=with_small_set,
    )
    add_arguments(train, GanConfig, ["label_smoothing"])
    add_arguments(train, GanConfig, ["diffaugment", "architecture", "ada_target"], default=None, helps=with_small_set)
    train.add_argument(
        "--small-set",
        action="store_true",
        help="the small-set model with its defaults (FastGAN, 64 px, widths 16 and 32, batch 16, "
        "DiffAugment under ADA): for a folder of a few dozen to a few thousand pictures",
    )
    add_arguments(
        train,
        GanConfig,
        ["limit", "resume", "seed", "device", "crops", "fid_every", "fid_count", "conditional", "preview_every"],
    )
    train.add_argument(
        "--progress-gif",
        help="write the film of the fixed-noise grid here (GIF; an MP4 beside it where OpenCV can write one)",
    )
    add_arguments(train, GanConfig, ["r1_gamma", "spectral_norm"])
    train.add_argument("--grid-output", help="also save the last epoch's sample grid here (PNG)")
    train.add_argument("--metrics-json", help="write per-iteration losses and wall times here")
    add_sweep_option(train)
    train.set_defaults(handler=run_gan_train)
    sample = tools.add_parser(
        "gan-sample",
        help="sample a grid of pictures from a trained generator (--sweep: a grid of such grids over seed, "
        "class, truncation or pictures)",
    )
    sample.add_argument("--weights", required=True, help="a checkpoint from gan-train or GAN Studio")
    sample.add_argument("-n", dest="count", type=int, default=64, help="how many pictures")
    add_arguments(sample, SamplingConfig, ["seed", "truncation"])
    sample.add_argument("--output", required=True, help="grid PNG to write (with --sweep: the sweep's grid)")
    sample.add_argument("--class", dest="label", help="a class name or number (conditional generators)")
    sample.add_argument(
        "--rows-per-class",
        action="store_true",
        help="a conditional generator's grid with one row per class (-n pictures a row)",
    )
    sample.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="sample once per value of seed, label (the class), truncation or count: V1,V2,... or "
        "START:STOP:COUNT, given twice for a grid of two (at most 36 cells); --output is the grid with "
        "labelled axes, OUTPUT's name + -sweep/cells/ holds each cell's picture with its settings inside",
    )
    sample.set_defaults(handler=run_gan_sample)
    evaluate = tools.add_parser("gan-fid", help="FID of a Fashion-MNIST generator under the stated protocol")
    evaluate.add_argument("--weights", required=True)
    evaluate.add_argument("-n", type=int, default=2000, help="pictures per set")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.set_defaults(handler=run_gan_fid)
    classifier = tools.add_parser(
        "gan-classifier",
        help="train the garment classifier that GAN Studio's Fashion-MNIST metrics use, and print its test accuracy",
    )
    classifier.add_argument("--output", required=True, help="where to write it (weights/garment-classifier.pt ships)")
    classifier.add_argument("--epochs", type=int, default=4)
    classifier.add_argument("--seed", type=int, default=0)
    classifier.set_defaults(handler=run_gan_classifier)
    report = tools.add_parser(
        "gan-eval",
        help="how good a generator is: garment distance, coverage and agreement "
        "(Fashion-MNIST), or diversity and memorisation (picture folders); JSON",
    )
    report.add_argument("--weights", required=True)
    report.add_argument("-n", type=int, default=1000, help="samples (Fashion-MNIST metrics)")
    report.add_argument("--seed", type=int, default=0)
    report.add_argument(
        "--nearest-grid",
        help="picture folders: also save a PNG of 8 samples, each beside its 3 "
        "nearest training crops (the memorisation check by eye)",
    )
    report.set_defaults(handler=run_gan_eval)
    export = tools.add_parser("gan-export", help="shrink a training checkpoint to a generator for sampling")
    export.add_argument("checkpoint")
    export.add_argument("--output", required=True)
    export.set_defaults(
        handler=lambda arguments: (
            __import__("core.gan").gan.export_generator(arguments.checkpoint, arguments.output) or 0
        )
    )


def gan_train_config(arguments):
    """The GanConfig of a parsed ``gan-train`` command line, in one call: a flag typed wins, then
    the ``--settings`` file, then the defaults of the data (and of --small-set)."""
    from core import configs, gan

    base = getattr(arguments, "base", {})
    dataset = pick(arguments, "dataset")
    folder = dataset != "fashion-mnist"
    defaults = {"size": 64 if folder else 32, "channels": 3 if folder else 1}
    if arguments.small_set:
        defaults.update(gan.SMALL_SET_DEFAULTS)
    chosen = {name: pick(arguments, name) for name in GAN_SETTINGS if hasattr(arguments, name)}
    chosen = {name: value for name, value in chosen.items() if value is not None}
    chosen["epochs"] = required(arguments, "epochs", "--epochs")
    chosen["classes"] = tuple(arguments.classes) if typed(arguments, "classes") else tuple(base.get("classes", ()))
    return configs.from_dict(gan.GanConfig, {**defaults, **base, **chosen})


def run_gan_train(arguments) -> int:
    from core import gan

    config = gan_train_config(arguments)
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if arguments.sweep:
        from core.gan import sweep

        return run_sweep(sweep.job, GanConfig, config, arguments.sweep, output, arguments.metrics_json)
    grid = Path(arguments.grid_output) if arguments.grid_output else output.with_suffix(".png")
    events = gan.train(config, output)
    if not arguments.progress_gif:
        try:
            return drive(events, grid, arguments.metrics_json)
        finally:
            stamp_outputs("gan", config, [grid])
    gif = Path(arguments.progress_gif)
    gif.parent.mkdir(parents=True, exist_ok=True)
    film = gan.ProgressFilm(gif, gif.with_suffix(".mp4"))

    def filmed(event) -> None:
        if event.preview is not None:
            film.add(event.preview, event.step)

    try:
        return drive(events, grid, arguments.metrics_json, watchers=(filmed,))
    finally:
        stamp_outputs("gan", config, [grid])
        if film.frames:
            film.finish()
            print(
                f"saved {gif} ({len(film.frames)} frames"
                + (f", thinned {film.thinned}x to stay under 50 MB" if film.thinned else "")
                + ")"
                + (f" and {gif.with_suffix('.mp4')}" if film.mp4_written else "; no MP4 codec here"),
                file=sys.stderr,
            )


def run_gan_classifier(arguments) -> int:
    from core.gan import classifier

    if arguments.epochs < 1:
        raise ValueError("--epochs must be at least 1.")
    started, finals = time.time(), {}

    def keep(event) -> None:
        finals.update(event.metrics)

    status = consume(
        classifier.train(arguments.epochs, arguments.seed, output=Path(arguments.output)),
        every=5.0,
        always=lambda event: "test_accuracy" in event.metrics,
        watchers=(keep,),
    )
    print(
        json.dumps(
            {
                "test_accuracy": finals.get("test_accuracy"),
                "epochs": arguments.epochs,
                "seed": arguments.seed,
                "seconds": round(time.time() - started, 1),
                "output": arguments.output,
            }
        )
    )
    return status


def run_gan_eval(arguments) -> int:
    import numpy as np

    from core import gan, images
    from core.gan import classifier, evaluation

    generator, config = gan.load_generator(arguments.weights)
    if config.dataset == "fashion-mnist":
        model, info = classifier.load()
        reference = evaluation.garment_reference(model, count=arguments.n)
        found = evaluation.garment_metrics(
            generator, config, model, reference, count=arguments.n, seed=arguments.seed, by_class=True
        )
        pictures = gan.sample(generator, config, arguments.n, arguments.seed)
        _, logits = classifier.features(model, pictures[:, :1])
        shares = np.bincount(logits.argmax(axis=1), minlength=10) / arguments.n
        found["coverage"] = {name: round(float(share), 4) for name, share in zip(gan.FASHION_CLASSES, shares)}
        found["classifier_test_accuracy"] = info.get("test_accuracy")
        if "agreement_by_class" in found:
            found["classifier_accuracy_by_class"] = classifier.accuracy_by_class(
                model, tuple(found["agreement_by_class"])
            )
        found["ratio_to_floor"] = found["garment_distance"] / found["garment_floor"]
    else:
        training, _, _, _ = gan.load_dataset(config)  # read once for both
        found = evaluation.picture_report(generator, config, seed=arguments.seed, training=training)
        if arguments.nearest_grid:
            grid = evaluation.nearest_crops_grid(generator, config, seed=arguments.seed, training=training)
            Path(arguments.nearest_grid).write_bytes(images.to_png_bytes(grid))
    print(json.dumps(found, indent=1))
    return 0


def run_gan_fid(arguments) -> int:
    from core import gan

    generator, config = gan.load_generator(arguments.weights)
    scores = gan.fid(generator, config, arguments.n, arguments.seed)
    print(json.dumps({**scores, "pictures_per_set": arguments.n, "layer": gan.FID_LAYER, "size": gan.FID_SIZE}))
    return 0


def run_gan_sample(arguments) -> int:
    from core import configs, gan, images, provenance, tools

    if not 1 <= arguments.count <= 1024:
        raise ValueError("-n must be between 1 and 1024.")
    sampling = SamplingConfig(
        seed=arguments.seed,
        label=arguments.label or "",
        truncation=arguments.truncation,
        count=min(arguments.count, 256),
    )
    output = Path(arguments.output)
    if arguments.sweep:
        if arguments.rows_per_class:
            raise ValueError("--sweep draws one grid per cell; it cannot go with --rows-per-class.")
        return _run_sample_sweep(arguments, sampling, output)
    generator, config = gan.load_generator(arguments.weights)
    if arguments.rows_per_class:
        pictures, columns = gan.class_rows(generator, config, arguments.count, arguments.seed, arguments.truncation)
        grid = gan.make_grid(pictures, columns=columns)
    else:
        wanted = arguments.label or None
        grid = gan.make_grid(
            gan.sample(generator, config, arguments.count, arguments.seed, wanted, arguments.truncation)
        )
    output.write_bytes(images.to_png_bytes(grid))
    stamp = tools.make_stamp("gan", config, sampling=configs.to_dict(sampling))
    provenance.embed_file(output, stamp)
    print(f"saved {arguments.output}", file=sys.stderr)
    return 0


def _run_sample_sweep(arguments, sampling: SamplingConfig, output: Path) -> int:
    """``gan-sample --sweep``: the sampling sweep's job in the foreground (core/gan/sweep.sample_job)."""
    from core import configs, sweep
    from core.gan import sweep as gan_sweep

    if len(arguments.sweep) > sweep.MAX_AXES:
        raise ValueError(f"--sweep is given once or twice (a grid of two settings), not {len(arguments.sweep)} times.")
    axes = [sweep.parse_axis(SamplingConfig, text.replace("class=", "label=", 1)) for text in arguments.sweep]
    sweep.cells(sampling, axes)  # every cell checked before the generator is loaded
    folder = output.parent / f"{output.name.split('.')[0]}-sweep"
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "generator": str(Path(arguments.weights).resolve()),
        "base": configs.to_dict(sampling),
        "axes": [axis.to_dict() for axis in axes],
    }
    code = drive(gan_sweep.sample_job(document, folder), output, None)
    if code == 0 and output.is_file():  # the grid carries the generator's settings and those held across it
        from core import gan, provenance, tools

        _, trained = gan.load_generator(arguments.weights)
        provenance.embed_file(output, tools.make_stamp("gan", trained, sampling=configs.to_dict(sampling)))
    return code
