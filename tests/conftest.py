import os
import tempfile

# Pages and jobs started by the tests write their runs here, never into the repository's runs/.
os.environ.setdefault("ATELIER_RUNS", tempfile.mkdtemp(prefix="atelier-test-runs-"))
os.environ.setdefault("ATELIER_STOP_GRACE", "3")
