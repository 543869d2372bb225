"""``python -m pipeline``: the same command line as ``citrix-ports``."""

import sys

from pipeline.cli import main

sys.exit(main())
