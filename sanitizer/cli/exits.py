"""What every command shares: exit codes, the one-line failure, loading a policy.

Errors are one line on stderr, never a traceback, never a payload value.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from sanitizer.errors import SanitizerError
from sanitizer.loader import load_policy
from sanitizer.policy.apply import Policy

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    print(f"sanitizer: {message}", file=sys.stderr)
    raise SystemExit(code)


def load(path: str) -> Policy:
    try:
        return load_policy(path)
    except SanitizerError as exc:
        fail(exc.message)


def read_input(source: str, max_bytes: int) -> bytes:
    try:
        if source == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or type(exc).__name__}")
    return data
