"""Every page runs without an exception (Streamlit's AppTest, no browser), and the Job Lab
drives a real demo job from start to finish."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
PAGES = ["Home.py", *sorted(str(path.relative_to(REPO)) for path in (REPO / "pages").glob("*.py"))]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=60).run()
    if page != "Home.py":
        app.switch_page(page).run()
    assert not app.exception, [item.value for item in app.exception]
    assert app.title, "every page has a title"


def test_home_lists_assets_and_no_heavy_framework_in_the_server():
    import sys

    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=60).run()
    text = " ".join(item.value for item in app.markdown)
    assert "ImageNet VGG19" in text and "Fashion-MNIST" in text
    assert "tensorflow" not in sys.modules  # Home probed the device in a child process


def test_job_lab_runs_a_demo_job_to_the_end():
    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=60).run()
    app.switch_page("pages/5_Job_Lab.py").run()
    app.slider(key="lab_steps").set_value(40)
    app.slider(key="lab_size").set_value(16)
    app.button(key="lab_start").click().run()
    job_id = app.query_params["job"]
    assert job_id
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        app.run()  # run_every fragments never tick inside AppTest: poll by running again
        if any("Finished 40 steps" in item.value for item in app.success):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the demo job did not finish: " + str([e.value for e in app.exception]))
    assert not app.exception
