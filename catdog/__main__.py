"""`python -m catdog ...`: see catdog/cli.py."""

import sys

from catdog.cli import main

sys.exit(main())
