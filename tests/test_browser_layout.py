"""What a new user saw cut off at common window widths: the ASCII Text tab's lines and the Style
before/after preview must fit their columns (element widths against their containers)."""

import pytest

from tests.browser_support import shot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 1024])
def test_the_ascii_text_and_the_style_preview_fit_their_columns(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 1600})
    page = context.new_page()
    try:
        page.goto(f"{server['url']}/ASCII_Art")
        page.get_by_text("x 100 characters").wait_for(timeout=60_000)
        wait_for_app(page)
        text = page.get_by_test_id("stMain").locator("pre").first
        fits = text.evaluate("""element => ({scroll: element.scrollWidth, client: element.clientWidth,
                                            right: element.getBoundingClientRect().right,
                                            room: element.closest('[data-testid=stVerticalBlock]')
                                                         .getBoundingClientRect().right,
                                            lines: element.innerText.split('\\n')[0].length})""")
        assert fits["lines"] == 100
        assert fits["scroll"] <= fits["client"] + 1, fits  # no line runs past the box
        assert fits["right"] <= fits["room"] + 1, fits  # and the box stays in its column
        shot(page, f"50-ascii-text-{width}")
        if width == 1400:  # colour mode colours the Text tab too, not only the picture
            page.locator(".st-key-ascii_colour").get_by_role("radiogroup").get_by_text("Colour", exact=True).click()
            wait_for_app(page)
            coloured = page.get_by_test_id("stMain").locator("pre span")
            coloured.first.wait_for(timeout=30_000)
            assert coloured.count() > 50
            assert len({coloured.nth(index).get_attribute("style") for index in range(0, 50, 5)}) > 3
            shot(page, "50b-ascii-text-colour")

        page.goto(f"{server['url']}/Style_Transfer")
        page.get_by_text("Instant preview", exact=True).wait_for(timeout=60_000)
        wait_for_app(page)
        frame = page.locator("[data-testid=stMain] iframe").first
        frame.wait_for(timeout=30_000)
        outer = frame.evaluate("""element => ({right: element.getBoundingClientRect().right,
            room: element.parentElement.closest('[data-testid=stColumn]').getBoundingClientRect().right})""")
        assert outer["right"] <= outer["room"] + 1, outer
        inner = page.frame_locator("[data-testid=stMain] iframe").first.locator("div").first
        sizes = inner.evaluate(
            "element => ({width: element.getBoundingClientRect().width, room: document.documentElement.clientWidth})"
        )
        assert 100 < sizes["width"] <= sizes["room"] + 1, sizes  # the picture and its labels are all inside
        shot(page, f"51-style-preview-{width}")
    finally:
        context.close()
