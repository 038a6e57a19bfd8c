import sys

from core import cli

sys.exit(cli.main())
