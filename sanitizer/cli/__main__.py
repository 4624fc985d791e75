"""`python -m sanitizer.cli`: the same as the `sanitizer` command."""

import sys

from sanitizer.cli.main import main

sys.exit(main())
