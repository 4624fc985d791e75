"""The sender-side outbox: alerts `sanitizer send` could not hand over, kept on disk until a
later `send` (or `send --flush`) delivers them.

Layout of the directory (0700, owned by the user `send` runs as; every file 0600):

    tmp/       an alert being written; renamed into queue/ once fsynced
    queue/     alerts waiting, one file each, named so that sorting them is enqueue order:
               <time_ns>-<pid>-<counter>-<random>.<route>.alert (route: a hash of the URL)
    claimed/   alerts a process is delivering: queue/NAME renamed to claimed/NAME~<claimer>
    rejected/  alerts the proxy refused for good during a flush: NAME.http<status>
               (or NAME.unreadable: a file that is not an alert this tool wrote)

Claiming is one atomic rename, so of any number of processes exactly one gets an alert. A
claimer that dies leaves its file in claimed/; once the file's mtime is older than the lease
(`claim` touches it), any process puts it back in queue/ (`reclaim_expired`). Deleting a
delivered alert is the last step, so a crash between delivery and deletion delivers that one
alert twice, never zero times.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import secrets
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanitizer import jsonio
from sanitizer.errors import SendError

SUFFIX = ".alert"
DEFAULT_MAX_BYTES = 64 << 20
SYSTEM_OUTBOX = Path("/var/spool/sanitizer-outbox")
_SUBDIRS = ("tmp", "queue", "claimed", "rejected")
_counter = itertools.count()


def default_outbox(environ: Mapping[str, str]) -> Path:
    """`SANITIZER_OUTBOX`; else /var/spool/sanitizer-outbox when it exists and this user may
    write it (an operator creates it for the Nagios user); else $XDG_STATE_HOME/sanitizer/
    outbox, or ~/.local/state/sanitizer/outbox."""
    if environ.get("SANITIZER_OUTBOX"):
        return Path(environ["SANITIZER_OUTBOX"])
    if SYSTEM_OUTBOX.is_dir() and os.access(SYSTEM_OUTBOX, os.W_OK | os.X_OK):
        return SYSTEM_OUTBOX
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sanitizer" / "outbox"


def route_id(url: str) -> str:
    """What names a route in file names: a short hash of its URL (the URL holds no token)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Claim:
    """An alert this process holds: `name` as it was in queue/, `path` in claimed/."""

    name: str
    path: Path


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _problem(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


class Outbox:
    """One outbox directory. `lease`: seconds after which a claim counts as abandoned."""

    def __init__(self, directory: Path, *, max_bytes: int, lease: float) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.lease = lease
        self.claimer = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._ready = False
        if self.directory.exists():  # else made by the first enqueue: a healthy send writes nothing
            self._open()

    def _open(self) -> None:
        if self._ready:
            return
        where = self.directory
        try:
            where.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = where.stat()
            if info.st_uid != os.geteuid():
                raise SendError(
                    f"the outbox {where} belongs to another user; run as its owner (e.g. "
                    "sudo -u nagios) or give --outbox a directory of your own"
                )
            if stat.S_IMODE(info.st_mode) != 0o700:
                where.chmod(0o700)
            for name in _SUBDIRS:
                (where / name).mkdir(mode=0o700, exist_ok=True)
            self._ready = True
        except OSError as exc:
            raise SendError(
                f"cannot use the outbox {where} ({_problem(exc)}); give --outbox a directory "
                "this user can create and write"
            ) from None

    def _dir(self, name: str) -> Path:
        return self.directory / name

    def size(self) -> int:
        """Bytes held: queued, claimed, rejected and half-written alerts."""
        total = 0
        for sub in _SUBDIRS:
            for entry in self._scan(sub):
                with contextlib.suppress(FileNotFoundError):
                    total += entry.stat().st_size
        return total

    def _scan(self, sub: str) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(self._dir(sub)) as entries:
                yield from list(entries)
        except FileNotFoundError:
            return

    def enqueue(self, url: str, token_file: str | None, alert: Any) -> str:
        """Write one alert durably (temp file, fsync, rename, fsync the directory); return
        its name. Raises `SendError` when the outbox is over `max_bytes` or unwritable."""
        entry = {
            "url": url,
            "token_file": None if token_file is None else os.path.abspath(token_file),
            "queued_at": time.time(),
            "alert": alert,
        }
        data = jsonio.dumps(entry).encode("utf-8")
        self._open()
        held = self.size()
        if held + len(data) > self.max_bytes:
            raise SendError(
                f"the outbox {self.directory} is full ({held} of {self.max_bytes} bytes) and the "
                "proxy cannot take this alert; it is NOT queued: bring the proxy back, then "
                "run sanitizer send --flush, or raise --outbox-max-bytes"
            )
        name = (
            f"{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}-{secrets.token_hex(3)}"
            f".{route_id(url)}{SUFFIX}"
        )
        temp = self._dir("tmp") / name
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temp, self._dir("queue") / name)
            _fsync_dir(self._dir("queue"))
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise SendError(
                f"cannot write to the outbox {self.directory} ({_problem(exc)}); the alert is "
                "NOT queued"
            ) from None
        return name

    def queued(self, url: str | None = None) -> list[str]:
        """Names waiting in queue/, oldest first; only `url`'s when given."""
        ending = SUFFIX if url is None else f".{route_id(url)}{SUFFIX}"
        return sorted(e.name for e in self._scan("queue") if e.name.endswith(ending))

    def claim(self, name: str) -> Claim | None:
        """Take `name` out of queue/ for this process; None when another process has it."""
        source = self._dir("queue") / name
        target = self._dir("claimed") / f"{name}~{self.claimer}"
        try:
            os.utime(source)  # the lease starts now; rename keeps the mtime
            os.rename(source, target)
        except FileNotFoundError:
            return None
        return Claim(name, target)

    def claims(self, url: str) -> Iterator[Claim]:
        """Claim `url`'s queued alerts one at a time, oldest first, each when the caller asks
        for the next: first taking back abandoned claims, then never going back past an alert
        already passed (one flush delivers in enqueue order; an older alert put back meanwhile
        waits for the next flush). Alerts other processes hold are skipped."""
        self.reclaim_expired()
        cursor = ""
        while names := [name for name in self.queued(url) if name > cursor]:
            for name in names:
                cursor = name
                claim = self.claim(name)
                if claim is not None:
                    yield claim

    def read(self, claim: Claim) -> dict[str, Any]:
        doc = jsonio.parse(claim.path.read_bytes(), max_bytes=self.max_bytes)
        if not isinstance(doc, dict) or "alert" not in doc:
            raise SendError(f"the outbox file {claim.path} is not an alert this tool wrote")
        return doc

    def release(self, claim: Claim) -> None:
        """Put a claimed alert back in queue/, for a later attempt."""
        with contextlib.suppress(FileNotFoundError):
            os.rename(claim.path, self._dir("queue") / claim.name)
            _fsync_dir(self._dir("queue"))

    def done(self, claim: Claim) -> None:
        """The proxy has the alert: delete it."""
        with contextlib.suppress(FileNotFoundError):
            claim.path.unlink()
            _fsync_dir(self._dir("claimed"))

    def reject(self, claim: Claim, reason: str) -> Path:
        """The proxy refused the alert for good (`reason`: e.g. http422): keep it in
        rejected/, never retried, never deleted by this tool."""
        target = self._dir("rejected") / f"{claim.name}.{reason}"
        with contextlib.suppress(FileNotFoundError):
            os.rename(claim.path, target)
            _fsync_dir(self._dir("rejected"))
        return target

    def reclaim_expired(self, now: float | None = None) -> int:
        """Put back claims older than the lease (their claimer died); drop half-written
        temp files as old (their `send` never said the alert was queued). Returns how many
        alerts went back to queue/."""
        cutoff = (time.time() if now is None else now) - self.lease
        returned = 0
        for entry in self._scan("claimed"):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    os.rename(entry.path, self._dir("queue") / entry.name.split("~", 1)[0])
                    returned += 1
        for entry in self._scan("tmp"):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
        if returned:
            _fsync_dir(self._dir("queue"))
        return returned
