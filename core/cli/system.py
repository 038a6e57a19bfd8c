"""``demo``, ``device``, ``assets``, ``settings``, ``runs`` and ``api``: checks of the machine, the
server's settings, the runs folder, and the HTTP service that serves its files."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from core import settings
from core.cli.events import EXIT_BAD_INPUT, drive


def add(tools) -> None:
    add_demo(tools)
    add_device(tools)
    add_assets(tools)
    add_settings(tools)
    add_runs(tools)
    add_api(tools)
    add_info(tools)


def add_info(tools) -> None:
    command = tools.add_parser(
        "info",
        help="the settings inside an Atelier result (PNG, JPEG, WebP, MP4, TXT, HTML, SVG, zip, .json)",
        description="Print the settings that made FILE: tool, settings, seed, Atelier's version and commit, "
        "the weights' and inputs' SHA-256. Exit 2 when FILE holds none or broken ones.",
    )
    command.add_argument("file", metavar="FILE")
    command.add_argument("--json", action="store_true", help="print the settings document as JSON (a settings file)")
    command.set_defaults(handler=run_info)


def run_info(arguments) -> int:
    from core import provenance, tools

    stamp = provenance.read_file(arguments.file)
    if arguments.json:
        print(json.dumps(json.loads(stamp.to_json()), indent=2))
        return 0
    for line in provenance.describe(stamp):
        print(line)
    try:
        tools.config_of(stamp)
    except ValueError as error:
        print(f"warning: this Atelier cannot use these settings as they are: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def add_demo(tools) -> None:
    command = tools.add_parser(
        "demo",
        help="a small network learns to repaint an image (checks torch / TensorFlow)",
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
        backend=arguments.backend,
        steps=arguments.steps,
        size=arguments.size,
        learning_rate=arguments.learning_rate,
        seed=arguments.seed,
    )
    target = np.asarray(images.fit_within(images.load_image(arguments.image), config.size))
    return drive(demo.paint(target, config), Path(arguments.output), arguments.metrics_json)


def add_device(tools) -> None:
    command = tools.add_parser("device", help="which device jobs will use (imports torch)")
    command.add_argument("--json", action="store_true", help="print JSON, for programs")
    command.set_defaults(handler=run_device)


def run_device(arguments) -> int:
    from core import device
    from core.sketch import keras_backend

    info = device.detect()
    # The sketch jobs' framework follows the device too (Home shows both).
    info["keras_backend"] = keras_backend(cuda_available=lambda: info["device"] == "cuda")
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


def add_settings(tools) -> None:
    command = tools.add_parser(
        "settings", help="the server's settings (ATELIER_* variables): what this environment gives each"
    )
    command.add_argument("--markdown", action="store_true", help="print the README's table of every variable")
    command.set_defaults(handler=run_settings)


def run_settings(arguments) -> int:
    """Each variable, its value here and whether it was set; exit 2 with the reasons when a value
    is bad or an ATELIER_ name is unknown (a typo would otherwise go unnoticed)."""
    if arguments.markdown:
        print(settings.markdown_table())
        return 0
    for variable in settings.VARIABLES:
        given = os.environ.get(variable.name, "").strip()
        try:
            shown = variable.parse(given)
        except ValueError:
            shown = f"{given!r} (not valid)"
        print(f"{variable.name:<30} {'' if shown is None else shown!s:<36} {'set' if given else 'default'}")
    found = settings.problems()
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT if found else 0


def add_runs(tools) -> None:
    command = tools.add_parser(
        "runs", help="list, delete or prune the runs folder (every owner's runs: for whoever runs the server)"
    )
    command.add_argument(
        "--runs",
        default=str(settings.given("runs") or "runs"),
        help="the runs folder (default: $ATELIER_RUNS, else ./runs)",
    )
    actions = command.add_subparsers(title="actions", metavar="ACTION", dest="action")
    listing = actions.add_parser("list", help="every run: id, tool, status, whose (kind only), size, when it ended")
    listing.add_argument("--json", action="store_true", help="print JSON, for programs")
    delete = actions.add_parser("delete", help="delete ended runs and the uploads no other run uses")
    delete.add_argument("ids", nargs="+", metavar="ID")
    prune = actions.add_parser(
        "prune", help="apply the retention policy now ($ATELIER_KEEP_DAYS, $ATELIER_RUNS_MAX_GB)"
    )
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
            rows.append(
                {
                    "id": card["id"],
                    "tool": card.get("tool", ""),
                    "status": card.get("status", ""),
                    "owner": owners.describe(card.get("owner")),
                    "megabytes": round(retention.folder_bytes(runs_dir / card["id"]) / 1e6, 2),
                    "ended": card.get("ended", ""),
                }
            )
        if arguments.json:
            print(json.dumps(rows, indent=1))
        else:
            for row in rows:
                print(
                    f"{row['id']:<40} {row['tool']:<7} {row['status']:<11} {row['megabytes']:>9.2f} MB  "
                    f"{row['ended'][:19]:<19}  {row['owner']}"
                )
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
            max_bytes=policy.max_bytes if arguments.max_gb is None else int(arguments.max_gb * 1e9),
        )
    report = retention.prune(runs_dir, policy, dry_run=arguments.dry_run)
    verb = "would remove" if arguments.dry_run else "removed"
    for job_id in report.removed:
        print(f"{verb} {job_id}")
    print(
        f"{policy.words()} {verb} {len(report.removed)} runs ({report.freed_bytes / 1e6:.2f} MB) and "
        f"{report.orphan_uploads} unused uploads; {report.kept_bytes / 1e6:.2f} MB left."
    )
    if report.over_budget:
        print(
            "warning: still over the size budget: what is left is queued or running, or the budget is smaller "
            "than one run.",
            file=sys.stderr,
        )
    return 0


def add_api(tools) -> None:
    command = tools.add_parser(
        "api",
        help="the HTTP service beside the app: owner-checked run files (a Streamlit "
        "server starts one itself on its port + 1 when none answers there)",
    )
    command.add_argument(
        "--runs",
        default=str(settings.given("runs") or "runs"),
        help="the runs folder (default: $ATELIER_RUNS, else ./runs)",
    )
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    command.add_argument("--port", type=int, default=8502, help="the port to listen on (default: 8502)")
    command.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)  # the server that started it
    command.set_defaults(handler=run_api)


def run_api(arguments) -> int:
    from core.api.serve import serve

    if not 0 < arguments.port < 65536:
        raise ValueError(f"--port must be a TCP port (1-65535), not {arguments.port}.")
    runs_dir = Path(arguments.runs)
    runs_dir.mkdir(parents=True, exist_ok=True)
    serve(runs_dir, arguments.host, arguments.port, parent=arguments.parent)
    return 0
