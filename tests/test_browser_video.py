"""Moving pictures in the real browser: the Style live tab paints Chromium's fake camera, and a
two-second clip with sound goes through each picture tool and plays in the page."""

import re

import pytest

from core import clips
from tests.browser_support import live_camera_fps, record, shot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return clips.synthetic_clip(
        tmp_path_factory.mktemp("clip") / "walk.mp4", kind="pan", seconds=2, sound=True, size=(320, 240)
    )


def test_style_live_tab_paints_frames_from_the_fake_camera(server, page):
    page.goto(f"{server['url']}/Style_Transfer")
    wait_for_app(page)
    page.get_by_text("Instant preview", exact=True).wait_for(timeout=60_000)
    live, panel, fps, working = live_camera_fps(page, "style_live_256", 256)
    shot(page, "40-style-live")
    live.get_by_role("button", name="STOP").click()


def play_a_clip(page, url: str, path: str, tab_key: str, clip_path, name: str) -> None:
    page.goto(f"{url}/{path}")
    wait_for_app(page)
    page.get_by_role("tab", name="Video file").click()
    panel = page.get_by_role("tabpanel", name="Video file")
    uploader = panel.locator(f".st-key-{tab_key}_upload").get_by_test_id("stFileUploaderDropzoneInput")
    # The tabs before this one draw first (Photo to Sketch's starts its sketch service, TensorFlow
    # loading in a process of its own): on a loaded machine that can take a minute or two.
    uploader.wait_for(state="attached", timeout=240_000)
    uploader.set_input_files(str(clip_path))
    panel.get_by_text(re.compile(r"48 frames at \d+x\d+")).wait_for(timeout=120_000)
    caption = panel.get_by_text(re.compile(r"about \d+:\d\d on this machine")).inner_text()
    assert "with the sound kept" in caption
    wait_for_app(page)
    panel.get_by_role("button", name="Start the video").click()
    panel.get_by_text(re.compile(r"Finished 48 frames")).wait_for(timeout=240_000)
    video = panel.locator("video")
    video.wait_for(timeout=60_000)
    page.wait_for_function("element => element.readyState >= 2", arg=video.element_handle(), timeout=60_000)
    duration = video.evaluate("element => element.duration")
    assert abs(duration - 2.0) < 0.1, duration  # the clip's length, frame for frame
    record(f"{name}_video_duration_seconds", duration)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, f"41-video-{name}")
    # The finished run is listed in the Earlier runs tab, which every tool page has in the same place.
    page.get_by_role("tab", name="Earlier runs").click()
    listed = page.get_by_role("tabpanel", name="Earlier runs").get_by_test_id("stExpander")
    listed.filter(has_text=re.compile(r"Earlier runs \([1-9]\d*, ")).first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_role("tab", name="Video file").click()


def test_a_clip_through_ascii_art_plays_in_the_page_with_its_html(server, page, clip):
    play_a_clip(page, server["url"], "ASCII_Art", "ascii_video", clip, "ascii")
    panel = page.get_by_role("tabpanel", name="Video file")
    assert panel.get_by_role("link", name="Playing page (HTML)").count() == 1


def test_a_clip_through_style_transfer_plays_in_the_page(server, page, clip):
    play_a_clip(page, server["url"], "Style_Transfer", "style_video", clip, "style")


def test_a_clip_through_photo_to_sketch_plays_in_the_page(server, page, clip):
    play_a_clip(page, server["url"], "Photo_to_Sketch", "sketch_video", clip, "sketch")


def test_a_file_that_is_not_a_video_gets_a_sentence_in_the_page(server, page, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("these are my holiday notes, not a film")
    page.goto(f"{server['url']}/Photo_to_Sketch")
    wait_for_app(page)
    page.get_by_role("tab", name="Video file").click()
    panel = page.get_by_role("tabpanel", name="Video file")
    panel.locator(".st-key-sketch_video_upload").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        str(fake)
    )
    panel.get_by_text("holiday.mp4 is not a video we can read").wait_for(timeout=60_000)
    assert panel.get_by_role("button", name="Start the video").count() == 0
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "42-video-not-a-video")
