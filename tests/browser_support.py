"""What the real-browser tests share: a Streamlit server on a free port, headless Chromium, and
helpers that wait on the page (never on the clock). conftest.py registers this module's fixtures.

Screenshots and timings go to tests/artifacts/ (git-ignored). A walk's screenshot at each step is
taken with ATELIER_SCREENSHOTS=1 (`make screenshots`): a full-page screenshot costs Chromium CPU
(docs/testing.md), and nothing asserts on it. Without it, a walk that fails still leaves its
page there (``failed-<test>.png``). Set ATELIER_SKIP_BROWSER=1 to skip the browser tests on a
machine without Chromium; CI never sets it, so there a missing browser fails.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core import settings
from tests.helpers import free_port, wait_until

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
SHOTS = ARTIFACTS / "screenshots"
CHROMIUM = str(settings.value("chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # A test pattern instead of a webcam, and no permission prompt, for the live tabs.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PAGES = {
    "ASCII Art": "ASCII Art",
    "Style Transfer": "Style Transfer",
    "Photo to Sketch": "Photo to Sketch",
    "GAN Studio": "GAN Studio",
    "Job Lab": "Job Lab",
}


def record(name: str, value) -> None:
    """Keep a measurement for the issue note (tests/artifacts/measurements.json)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "measurements.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2))


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(tmp_path_factory, port: int | None = None, **settings):
    runs = tmp_path_factory.mktemp("browser-runs")
    port = port or free_port()
    # The file service's port is picked free too (by default it is the server's port + 1).
    environment = {
        **os.environ,
        "ATELIER_RUNS": str(runs),
        "ATELIER_STOP_GRACE": "5",
        "ATELIER_API_PORT": str(free_port()),
        **settings,
    }
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "Home.py",
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--server.fileWatcherType=none",
        ],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not healthy(base_url):
            assert process.poll() is None, "the Streamlit server exited while starting"
            assert time.monotonic() < deadline, "the Streamlit server did not answer within 60 s"
            time.sleep(0.3)
        yield {"url": base_url, "process": process, "runs": runs}
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if settings.value("skip_browser"):
        pytest.skip("ATELIER_SKIP_BROWSER=1")
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(
        viewport={"width": 1400, "height": 2000}, accept_downloads=True, permissions=["camera"]
    )
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):  # the page may be what broke
            save_screenshot(opened, "failed-" + re.sub(r"\W+", "-", request.node.name))
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep the call's report on the test, for ``page`` to screenshot a failed walk."""
    report = yield
    if report.when == "call":
        item.call_report = report
    return report


def shot(page, name: str) -> None:
    """Wait for the page to settle, and under ATELIER_SCREENSHOTS=1 keep a screenshot of it."""
    with contextlib.suppress(Exception):
        wait_for_app(page, timeout=10_000)  # no half-redrawn page in the pictures (and the walks' pace)
    if not settings.value("screenshots"):
        return
    with contextlib.suppress(Exception):
        page.wait_for_function("() => Array.from(document.images).every(image => image.complete)", timeout=10_000)
    save_screenshot(page, name)


def save_screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_for_app(page, timeout: float = 60_000) -> None:
    page.get_by_test_id("stApp").wait_for(timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def upload_until(page, uploader, paths, said, attempts: int = 3) -> None:
    """Give ``uploader`` (a locator around a file uploader) ``paths`` until the text ``said`` shows.
    A file handed over while a rerun redraws the uploader is lost with the old element: wait for the
    app, hand it over again, but only while the uploader lists none of them (a multi-file uploader
    adds to its list, and a slow page is not a lost upload)."""
    names = [Path(path).name for path in ([paths] if isinstance(paths, str | Path) else paths)]
    for _attempt in range(attempts):
        wait_for_app(page)
        page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
        uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(paths)
        try:
            said.wait_for(timeout=30_000)
            return
        except Exception:
            if uploader.get_by_text(names[0], exact=True).count():
                break  # taken: the page is only slow
    said.wait_for(timeout=60_000)


def click_until(page, button, said, attempts: int = 3) -> None:
    """Click ``button`` until the text ``said`` shows: a click that lands on a rerun is lost. Once
    the button has gone (the click was taken and the page moved on), only wait."""
    for attempt in range(attempts):
        wait_for_app(page)
        if said.first.is_visible() or (attempt and not button.count()):  # (a tab's text is there, hidden)
            break
        button.click()
        try:
            said.wait_for(timeout=20_000)
            return
        except Exception:
            continue
    said.wait_for(timeout=30_000)


def download(page, link) -> Path:
    """Click a download link and return the downloaded file's path. A rerun that lands on the click
    redraws the link (and a click on the old one downloads nothing): wait for the app and click again."""
    for attempt in range(3):
        wait_for_app(page)
        # A rerun leaves the page's old elements on screen (greyed, data-stale) until it has drawn the
        # new ones: a link among them would download the picture before this one.
        page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
        try:
            with page.expect_download(timeout=30_000) as started:
                link.click()
            return Path(started.value.path())
        except Exception:
            if attempt == 2:
                raise


def start_job(page, button, runs: Path | None = None) -> str:
    """Click Start until a new job exists and return its id (from the URL): a click that lands on a
    rerun is lost. Before clicking again, the server's side is asked too: a new run folder in
    ``runs`` (the server's runs folder, where the test has it) means the click was taken and only
    the page is slow, so no job is ever started twice."""
    before_url = job_in_url(page)
    before_runs = _run_folders(runs)
    changed = "(before) => new URL(window.location.href).searchParams.get('job') !== before"
    for attempt in range(3):
        wait_for_app(page)
        if job_in_url(page) != before_url or _run_folders(runs) - before_runs:
            break
        button.click()
        try:
            page.wait_for_function(changed, arg=before_url, timeout=20_000)
            break
        except Exception:
            if attempt == 2:
                raise
    page.wait_for_function(changed, arg=before_url, timeout=60_000)
    return job_in_url(page)


def _run_folders(runs: Path | None) -> set[str]:
    return {path.name for path in runs.iterdir() if (path / "card.json").exists()} if runs else set()


def job_in_url(page) -> str | None:
    return page.evaluate("() => new URL(window.location.href).searchParams.get('job')")


def progress_step(page) -> int:
    text = page.get_by_test_id("stProgress").inner_text(timeout=60_000)
    match = re.search(r"step (\d+) of (\d+)", text)
    return int(match.group(1)) if match else 0


def wait_for_step_above(page, step: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = progress_step(page) if page.get_by_test_id("stProgress").count() else 0
        if current > step:
            return current
        time.sleep(0.3)
    raise AssertionError(f"progress never passed step {step}")


def metric_value(panel, name: str) -> str:
    text = panel.get_by_test_id("stMetric").filter(has_text=name).inner_text().strip()
    return text.splitlines()[-1].strip()


def live_camera_fps(page, measurement: str, requested: int):
    """Open the page's "Live camera" tab, START the fake camera, wait for painted frames to flow
    and for the pace to have had its say, and return (the component's frame, the tab panel, frames
    per second, the working size). No rate is asserted (CI shares the machine): what must hold is
    that frames arrive, and that a working size under the one asked for is said in the page."""
    page.get_by_role("tab", name="Live camera").click()
    live = page.frame_locator('iframe[title="streamlit_webrtc.component.webrtc_streamer"]')
    live.get_by_role("button", name="START").click(timeout=30_000)
    page.get_by_text("Frames per second").wait_for(timeout=90_000)
    panel = page.get_by_role("tabpanel", name="Live camera")
    wait_until(lambda: float(metric_value(panel, "Frames per second")) > 0, timeout=90, what="painted frames")
    seen = int(re.search(r"\d+", metric_value(panel, "Working size")).group())
    # The pace decides every few frames: wait for frames enough for two of its decisions.
    started = time.monotonic()
    wait_until(
        lambda: time.monotonic() - started > 3 and float(metric_value(panel, "Frames per second")) > 0,
        timeout=60,
        what="frames after the pace's first decisions",
    )
    fps = float(metric_value(panel, "Frames per second"))
    working = int(re.search(r"\d+", metric_value(panel, "Working size")).group())
    record(measurement, {"fps": fps, "working_size": working, "asked": requested, "first_seen": seen})
    assert working <= requested
    if working < requested:  # lowered to keep up: said so
        panel.get_by_text(re.compile(f"Working at {working} .*not the {requested}")).wait_for(timeout=10_000)
    return live, panel, fps, working
