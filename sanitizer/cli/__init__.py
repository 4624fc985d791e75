"""The `sanitizer` command: a thin argparse front over the library.

Exit codes: 0 success; 1 the policy refused the alert (or a test failed); 2 bad usage, a bad
policy or bad input. Errors are one line on stderr, never a traceback, never a payload value.
"""

from sanitizer.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
