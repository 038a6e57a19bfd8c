import os
import tempfile

try:
    # test_sketch loads TensorFlow into this process beside torch. TensorFlow >= 2.20 loads its
    # LLVM globally, and triton (which torch's optimisers import) then crashes the process unless
    # triton was imported first (../shared/notes/streamlit-and-ml.md). The app itself never loads
    # both: TensorFlow runs only in job and service processes.
    import triton  # noqa: F401
except ImportError:
    pass

# Pages and jobs started by the tests write their runs here, never into the repository's runs/.
os.environ.setdefault("ATELIER_RUNS", tempfile.mkdtemp(prefix="atelier-test-runs-"))
os.environ.setdefault("ATELIER_STOP_GRACE", "3")
