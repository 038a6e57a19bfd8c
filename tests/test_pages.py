"""Every page runs without an exception (Streamlit's AppTest, no browser), and the Job Lab
drives a real demo job from start to finish."""

import json
import subprocess
import sys
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
    # In a process of its own: other tests run TensorFlow jobs in this one (the sketch batch's, say).
    probe = (
        "import sys, json\n"
        "from streamlit.testing.v1 import AppTest\n"
        "app = AppTest.from_file('Home.py', default_timeout=60).run()\n"
        "text = ' '.join(item.value for item in app.markdown)\n"
        "print(json.dumps({'text': text, 'tensorflow': 'tensorflow' in sys.modules}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=180, check=True
    )
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "ImageNet VGG19" in found["text"] and "Fashion-MNIST" in found["text"]
    assert not found["tensorflow"]  # Home probed the device in a child process


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


def test_gan_studio_offers_each_setting_as_declared_and_the_small_set_model_for_pictures():
    """The GAN page's widgets come from GanConfig's declarations: their defaults and ranges are
    the config's, and a picture set switches to FastGAN with its own defaults."""
    from core import gan
    from core.configs import spec

    app = AppTest.from_file(str(REPO / "Home.py"), default_timeout=60).run()
    app.switch_page("pages/4_GAN_Studio.py").run()
    epochs = app.slider(key="gan_epochs")
    assert (epochs.value, epochs.min, epochs.max) == (spec(gan.GanConfig, "epochs").default, 1, 50)
    assert app.select_slider(key="gan_batch_dcgan").value == gan.GanConfig().batch_size
    assert list(app.select_slider(key="gan_r1").options) == [
        str(value) for value in spec(gan.GanConfig, "r1_gamma").options
    ]
    assert app.radio(key="gan_architecture_1").options == ["DCGAN (the paper's)"]  # Fashion-MNIST: the DCGAN only
    app.radio(key="gan_source").set_value("Abstract art (Debian wallpapers)").run()
    assert app.radio(key="gan_architecture_2").value == "fastgan"
    assert app.select_slider(key="gan_batch_fastgan").value == gan.SMALL_SET_DEFAULTS["batch_size"]
    assert app.select_slider(key="gan_ngf_fast").value == gan.SMALL_SET_DEFAULTS["ngf"]
    assert app.toggle(key="gan_ada_fastgan").value is True
    assert app.multiselect(key="gan_diffaugment_fastgan").value == ["color", "translation", "cutout"]
    assert not app.exception
