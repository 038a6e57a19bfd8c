import contextlib
import os
import tempfile

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers on two cores: each runs its tests (and the servers, commands and jobs they start)
    # on one thread, before NumPy, torch or TensorFlow load. Two workers each spinning two OpenMP
    # threads fought for the cores and took longer in all than one worker alone.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ.setdefault(name, "1")

import pytest

from core import settings

with contextlib.suppress(ImportError):
    # test_sketch loads TensorFlow into this process beside torch. TensorFlow >= 2.20 loads its
    # LLVM globally, and triton (which torch's optimisers import) then crashes the process unless
    # triton was imported first (see core/jobs/local.py and docs/jobs.md). The app itself never loads
    # both: TensorFlow runs only in job and service processes.
    import triton  # noqa: F401

# Pages and jobs started by the tests write their runs here, never into the repository's runs/.
os.environ.setdefault("ATELIER_RUNS", tempfile.mkdtemp(prefix="atelier-test-runs-"))
os.environ.setdefault("ATELIER_STOP_GRACE", "3")

# The browser tests' fixtures (server, browser, page), for every test module that names them.
pytest_plugins = ["tests.browser_support"]


@pytest.fixture(scope="session")
def ray_address():
    """A real local Ray head for the whole test session (started once: about 5 s on 2 cores).

    Never a mock: the Ray backend is tested against the Jobs API it will meet on a cluster.
    ATELIER_SKIP_RAY=1 skips these tests where Ray cannot be installed; CI never sets it."""
    if settings.value("skip_ray"):
        pytest.skip("ATELIER_SKIP_RAY=1")
    from tests.ray_head import ray_head

    with ray_head(cpus=2) as address:
        yield address


# Under `make test` the suite runs on a worker per core (pytest-xdist). The real-browser tests
# (tests/test_browser*.py) stay together on one worker, one after another, so that their module-wide
# Streamlit servers and Chromium are started once and no two browser walks compete for the machine's
# timing; the Ray tests share one worker and its one Ray head. Every other test is a unit of its own,
# handed to whichever worker is free. (A scheduler, not xdist_group marks: pytest 9.2 keeps a node's
# id where pytest-xdist 3.8's loadgroup no longer reaches it, so the marks group nothing.)
RUN_TOGETHER = {"test_browser": "browser", "test_jobs_ray": "ray"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class SharedResourceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            return next((group for prefix, group in RUN_TOGETHER.items() if module.startswith(prefix)), nodeid)

    return SharedResourceScheduling(config, log)
