"""Two people on one server, in two Chromium contexts: per-browser spaces (a signed cookie) and
signed-in users (a real local OpenID Connect provider, oidc-provider-mock). B can neither list, open
by link, download from nor stop A's run; A can, and keeps it across a reload."""

import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_support import (
    shot,
    start_job,
    streamlit_server,
    wait_for_app,
    wait_for_step_above,
)  # noqa: F401
from tests.helpers import free_port, wait_until

pytestmark = pytest.mark.browser


def new_person(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
    # The mock provider's pages link a stylesheet on a CDN; nothing may leave this machine.
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    return context, context.new_page()


def start_long_demo_job(page, url: str) -> str:
    page.goto(f"{url}/Job_Lab")
    wait_for_app(page)
    steps = page.locator(".st-key-lab_steps").get_by_role("slider")
    steps.focus()
    steps.press("End")  # 2000 steps: it runs while the other person looks
    page.wait_for_function("() => document.body.innerText.includes('2000')")
    wait_for_app(page)
    job_id = start_job(page, page.locator(".st-key-lab_start button"))
    wait_for_step_above(page, 1)
    return job_id


def earlier_runs(page) -> int:
    """How many runs the "Earlier runs (N, yours only)" list says it holds."""
    text = page.get_by_test_id("stExpander").filter(has_text="Earlier runs").first.inner_text()
    return int(re.search(r"Earlier runs \((\d+), ", text).group(1))


def check_the_other_person_sees_nothing(page, url: str, job_id: str, name: str) -> None:
    page.goto(f"{url}/Job_Lab?job={job_id}")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    main.get_by_text(f"There is no run called '{job_id}'").wait_for(timeout=30_000)
    assert main.get_by_role("button", name="Stop", exact=True).count() == 0
    assert main.get_by_role("link", name=re.compile("Download|Whole run")).count() == 0
    assert page.get_by_test_id("stProgress").count() == 0
    assert earlier_runs(page) == 0
    assert page.get_by_test_id("stException").count() == 0
    shot(page, name)


def stop_keep_and_delete(page, url: str, runs: Path, job_id: str, name: str, others=()) -> None:
    """A: reload keeps the running job; Stop; the run is listed, downloads, and Delete removes it.
    Every address of the run's files answers A, and 404 to each of ``others`` (browser contexts)."""
    page.reload()
    wait_for_step_above(page, 2)
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text(re.compile(r"Stopped at step \d+ of 2000")).first.wait_for(timeout=30_000)
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Whole run (.zip)").click()
    assert Path(download.value.path()).stat().st_size > 1000
    assert earlier_runs(page) == 1
    addresses = run_urls(page)
    assert addresses and all(page.context.request.get(address).status == 200 for address in addresses)
    for other in others:
        assert all(other.request.get(address).status == 404 for address in addresses), addresses
    shot(page, name)
    delete_the_run_on_screen(page)
    page.wait_for_function("() => document.body.innerText.includes('Earlier runs (0,')", timeout=30_000)
    assert not (runs / job_id).exists()
    assert all(page.context.request.get(address).status == 404 for address in addresses)


def delete_the_run_on_screen(page) -> str:
    """Open "Delete this run" under the run shown, and confirm; returns what the confirmation said."""
    confirm = page.get_by_role("button", name="Delete for good")
    for _ in range(3):  # a rerun that lands just after the click closes the popover: open it again
        wait_for_app(page)
        page.get_by_role("button", name="Delete this run").click()
        try:
            confirm.wait_for(timeout=10_000)
            break
        except Exception:
            continue
    said = page.get_by_test_id("stPopoverBody").inner_text()
    confirm.click()
    return said


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    with streamlit_server(tmp_path_factory, ATELIER_MAX_JOBS="2") as running:
        yield running


def test_two_browsers_keep_apart_and_a_reload_keeps_ones_own(shared_server, browser):
    url = shared_server["url"]
    alice, alice_page = new_person(browser)
    bob, bob_page = new_person(browser)
    try:
        job_id = start_long_demo_job(alice_page, url)
        cookie = [c for c in alice.cookies() if c["name"] == "atelier_space"]
        assert cookie and cookie[0]["expires"] > time.time() + 300 * 86400  # kept, not per session
        check_the_other_person_sees_nothing(bob_page, url, job_id, "30-sharing-browser-b")
        card = json.loads((shared_server["runs"] / job_id / "card.json").read_text())
        assert card["status"] == "running" and card["owner"].startswith("browser:")
        assert cookie[0]["value"].split(".")[0] in card["owner"]
        stop_keep_and_delete(alice_page, url, shared_server["runs"], job_id, "31-sharing-browser-a", others=(bob,))
    finally:
        alice.close()
        bob.close()


def test_a_forged_cookie_gets_a_new_private_space_said_once(shared_server, browser):
    context, page = new_person(browser)
    try:
        context.add_cookies(
            [{"name": "atelier_space", "value": "0" * 32 + "." + "1" * 64, "url": shared_server["url"]}]
        )
        page.goto(f"{shared_server['url']}/Job_Lab")
        wait_for_app(page)
        page.get_by_text("was not one this server made").wait_for(timeout=30_000)
        deadline = time.monotonic() + 15
        while True:  # the page's script replaces the cookie once it has drawn
            fresh = [c["value"] for c in context.cookies() if c["name"] == "atelier_space"]
            if fresh and not fresh[0].startswith("0" * 32):
                break
            assert time.monotonic() < deadline, f"the forged cookie was kept: {fresh}"
            time.sleep(0.2)
        page.reload()
        wait_for_app(page)
        assert page.get_by_text("was not one this server made").count() == 0  # said once
    finally:
        context.close()


@contextlib.contextmanager
def oidc_provider():
    port = free_port()
    with tempfile.NamedTemporaryFile("w", prefix="oidc-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url, timeout=1)
                    break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline, "the OIDC provider did not start"
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def secrets_file(folder: Path, app_port: int, metadata_url: str) -> Path:
    path = folder / "secrets.toml"
    path.write_text(f'''[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "a-test-secret-for-the-sign-in-cookie"
client_id = "atelier"
client_secret = "atelier-test-client"
server_metadata_url = "{metadata_url}"
''')
    return path


def sign_in(page, url: str, who: str) -> None:
    page.goto(f"{url}/Job_Lab")
    wait_for_app(page)
    page.get_by_text("Please sign in").wait_for(timeout=30_000)
    shot(page, f"32-sharing-sign-in-{who}")
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").fill(who)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(url)), timeout=30_000)
    wait_for_app(page)
    page.get_by_text(f"Signed in as {who}").wait_for(timeout=30_000)
    # Back on the page the person signed in from, not on Home, where Streamlit's sign-in lands.
    page.wait_for_url(re.compile(re.escape(f"{url}/Job_Lab")), timeout=30_000)
    page.get_by_role("heading", name="Job Lab").first.wait_for(timeout=30_000)


def test_signed_in_users_keep_apart_through_a_real_provider(browser, tmp_path_factory):
    port = free_port()
    folder = tmp_path_factory.mktemp("auth")
    with (
        oidc_provider() as metadata,
        streamlit_server(
            tmp_path_factory,
            port=port,
            ATELIER_MAX_JOBS="2",
            STREAMLIT_SECRETS_FILES=str(secrets_file(folder, port, metadata)),
        ) as server,
    ):
        url = server["url"]
        alice, alice_page = new_person(browser)
        bob, bob_page = new_person(browser)
        try:
            sign_in(alice_page, url, "alice")
            job_id = start_long_demo_job(alice_page, url)
            sign_in(bob_page, url, "bob")
            check_the_other_person_sees_nothing(bob_page, url, job_id, "33-sharing-signed-in-b")
            card = json.loads((server["runs"] / job_id / "card.json").read_text())
            assert card["owner"].startswith("user:") and "alice" not in json.dumps(card)
            stop_keep_and_delete(alice_page, url, server["runs"], job_id, "34-sharing-signed-in-a", others=(bob,))
            bob_page.get_by_role("button", name="Sign out").click()
            bob_page.get_by_role("button", name="End session").click()  # the provider's own sign-out page
            bob_page.wait_for_url(re.compile(re.escape(url)), timeout=30_000)
            bob_page.goto(f"{url}/Job_Lab")
            wait_for_app(bob_page)
            bob_page.get_by_text("Please sign in").wait_for(timeout=30_000)
        finally:
            alice.close()
            bob.close()


def test_an_unreachable_provider_is_said_and_home_still_opens(browser, tmp_path_factory):
    port, dead = free_port(), free_port()
    folder = tmp_path_factory.mktemp("auth-dead")
    secrets = secrets_file(folder, port, f"http://127.0.0.1:{dead}/.well-known/openid-configuration")
    with streamlit_server(tmp_path_factory, port=port, STREAMLIT_SECRETS_FILES=str(secrets)) as server:
        context, page = new_person(browser)
        try:
            page.goto(server["url"])
            page.get_by_role("heading", name="Atelier").wait_for(timeout=30_000)
            page.get_by_text("the sign-in service does not answer").wait_for(timeout=30_000)
            page.goto(f"{server['url']}/Job_Lab")
            wait_for_app(page)
            page.get_by_text("Please sign in").wait_for(timeout=30_000)
            assert page.get_by_test_id("stException").count() == 0
            assert page.get_by_role("button", name="Sign in").count() == 0
            shot(page, "35-sharing-provider-down")
        finally:
            context.close()


def test_a_runs_folder_the_server_cannot_write_is_said_and_home_still_opens(browser, tmp_path_factory):
    blocker = tmp_path_factory.mktemp("not-a-folder") / "a-file"
    blocker.write_text("a file where the runs folder should be")
    with streamlit_server(tmp_path_factory, ATELIER_RUNS=str(blocker / "runs")) as server:
        context, page = new_person(browser)
        try:
            page.goto(server["url"])
            page.get_by_role("heading", name="Atelier").wait_for(timeout=30_000)
            page.get_by_text("cannot write its runs folder").first.wait_for(timeout=60_000)
            page.get_by_text("What is installed").wait_for(timeout=30_000)  # the rest of Home is there
            page.goto(f"{server['url']}/Job_Lab")
            wait_for_app(page)
            page.get_by_text("cannot write its runs folder").first.wait_for(timeout=30_000)
            body = page.inner_text("body")
            assert page.get_by_test_id("stException").count() == 0 and str(blocker) not in body
            shot(page, "36-sharing-runs-unwritable")
        finally:
            context.close()


def test_a_gan_zip_the_job_would_refuse_is_refused_in_the_page_with_the_jobs_words(shared_server, browser, tmp_path):
    import zipfile

    archive = tmp_path / "pictures.zip"
    with zipfile.ZipFile(archive, "w") as writer:
        for index in range(2):
            writer.writestr(f"holiday/p{index}.png", f"not a picture {index}, whatever the name says".encode())
    context, page = new_person(browser)
    try:
        page.goto(f"{shared_server['url']}/GAN_Studio")
        wait_for_app(page)
        page.locator(".st-key-gan_source").get_by_text("Upload a zip of pictures").click()
        wait_for_app(page)
        page.locator(".st-key-gan_zip").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(archive))
        page.get_by_text(
            "None of the pictures could be read: the files are damaged or not pictures (2 tried)."
        ).wait_for(timeout=60_000)
        assert page.locator(".st-key-gan_start button").first.is_disabled()
        body = page.inner_text("body")
        assert str(shared_server["runs"]) not in body and "/uploads/" not in body
        assert page.get_by_test_id("stException").count() == 0
        shot(page, "37-sharing-gan-zip-refused")
    finally:
        context.close()


def run_urls(page) -> list[str]:
    """Every address A's page would fetch a run's bytes from: links, pictures, videos, frames."""
    return page.evaluate("""() => [
        ...Array.from(document.querySelectorAll('a[href]'), a => a.href),
        ...Array.from(document.querySelectorAll('img[src], video[src], source[src], iframe[src]'), e => e.src),
    ].filter(u => u.startsWith('http')
                  && (new URL(u).pathname.startsWith('/media/') || u.includes('/api/v1/runs/')))""")


def finish_quick_demo_job(page, url: str) -> str:
    """Job Lab at 20 steps to its end; returns its id."""
    page.goto(f"{url}/Job_Lab")
    wait_for_app(page)
    steps = page.locator(".st-key-lab_steps").get_by_role("slider")
    steps.focus()
    steps.press("Home")  # 20 steps
    page.wait_for_function("() => document.body.innerText.includes('About')")  # the estimate before Start
    start_job(page, page.locator(".st-key-lab_start button"))
    page.get_by_text(re.compile(r"Finished 20 steps")).wait_for(timeout=120_000)
    page.get_by_role("link", name="Whole run (.zip)").wait_for(timeout=30_000)  # the run that draws the ended job
    wait_for_app(page)
    return page.url.split("job=")[1].split("&")[0]


def test_run_files_reach_their_owner_only_and_end_with_the_run_deleted_on_screen(shared_server, browser):
    url, runs = shared_server["url"], shared_server["runs"]
    alice, alice_page = new_person(browser)
    bob, bob_page = new_person(browser)
    nobody = browser.new_context()  # no cookie at all
    seen: list[str] = []
    alice_page.on("request", lambda request: seen.append(request.url))
    try:
        bob_page.goto(f"{url}/Job_Lab")  # Bob has a space of his own (a cookie), just no runs of Alice's
        wait_for_app(bob_page)
        first = finish_quick_demo_job(alice_page, url)
        addresses = run_urls(alice_page)
        assert not [address for address in addresses + seen if urlsplit(address).path.startswith("/media/")], (
            "a run's picture or file was served by Streamlit's unchecked /media/ route"
        )
        assert len([address for address in addresses if f"/api/v1/runs/{first}/" in address]) >= 3, addresses
        for address in addresses:
            assert alice.request.get(address).status == 200, address
            assert bob.request.get(address).status == 404, address
            assert nobody.request.get(address).status == 404, address
        shot(alice_page, "38-files-owner-only")

        second = finish_quick_demo_job(alice_page, url)  # now the first is not the newest run
        alice_page.goto(f"{url}/Job_Lab?job={first}")
        wait_for_app(alice_page)
        alice_page.get_by_text("Finished 20 steps").wait_for(timeout=30_000)
        said = delete_the_run_on_screen(alice_page)
        assert "Delete this Job Lab run?" in said and "Repaint in PyTorch" in said, said
        wait_until(lambda: not (runs / first).exists(), timeout=30, what="the run on screen to be deleted")
        alice_page.wait_for_function("() => document.body.innerText.includes('Earlier runs (1,')", timeout=30_000)
        assert (runs / second).exists()
        for address in addresses:  # gone at once, for the owner too
            assert alice.request.get(address).status == 404, address
        shot(alice_page, "39-deleted-the-run-on-screen")
    finally:
        alice.close()
        bob.close()
        nobody.close()
