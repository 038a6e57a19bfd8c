import contextlib
import os
import tempfile

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
