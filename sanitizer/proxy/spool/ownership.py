"""Who may write the spool: the owner lock that keeps a second proxy off a spool directory,
and the check that spool.db on disk is still the file this process opened."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import BinaryIO

from sanitizer.errors import SpoolFileReplaced, Unavailable

__all__ = [
    "LOCK_NAME",
    "FileIdentity",
    "check_identity",
    "check_unowned",
    "file_identity",
    "is_same_file",
    "take_owner_lock",
]

LOCK_NAME = "owner.lock"

FileIdentity = tuple[int, int]  # (st_dev, st_ino)


def take_owner_lock(directory: Path) -> BinaryIO:
    """Take the directory's owner lock and return its handle, held until closed: claims live
    in memory, so two running proxies on one spool would both deliver everything. Management
    commands do not take it. Raises OSError if the lock file cannot be opened, Unavailable if
    another process holds the lock."""
    handle = open(directory / LOCK_NAME, "a+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise _owned(directory) from None
    return handle


def check_unowned(directory: Path) -> None:
    """Raise Unavailable when a running proxy owns `directory`, so that `serve` says so in
    one line before it starts anything (start() takes the lock itself, later). Probes with a
    shared lock, released at once; a spool not made yet, or a lock file that cannot be read,
    is left for start() to judge."""
    try:
        handle = open(directory / LOCK_NAME, "rb")
    except OSError:
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            raise _owned(directory) from None


def _owned(directory: Path) -> Unavailable:
    return Unavailable(
        f"another running proxy owns the spool directory {directory}; stop it, or give each "
        "proxy its own spool path (spool.path, or SANITIZER_SPOOL_PATH)",
        retry_after=30,
    )


def file_identity(path: Path) -> FileIdentity:
    """The identity of the file at `path` (raises OSError if there is none)."""
    stat = path.stat()
    return stat.st_dev, stat.st_ino


def is_same_file(path: Path, identity: FileIdentity) -> bool:
    """Whether the file at `path` is still the one `identity` was taken from."""
    try:
        return file_identity(path) == identity
    except OSError:
        return False


def check_identity(path: Path, identity: FileIdentity) -> None:
    """Raise SpoolFileReplaced unless the file at `path` is still the one `identity` was
    taken from."""
    if not is_same_file(path, identity):
        raise SpoolFileReplaced()
