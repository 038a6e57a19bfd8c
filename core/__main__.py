import os
import sys

if sys.argv[1:2] == ["ascii"]:
    # The ascii command converts a batch one image per core, in forked processes; BLAS's own
    # thread pool would then fight them for the cores (bench/ascii.py times the batch). It must
    # be set before NumPy loads.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

from core import cli  # noqa: E402

sys.exit(cli.main())
