"""`sanitizer spool list|retry|purge`: the dead letters, for a human at a terminal or a script.

A purge is for good, so it names how many it will delete before it does, and asks on a
terminal; without a terminal (a script, a pipe) it needs `--yes`, else it deletes nothing and
exits 2: a script never deletes what it did not ask for by accident. A retry or purge naming
an id that is not a dead letter does nothing and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sanitizer import jsonio
from sanitizer.cli.exits import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, fail

if TYPE_CHECKING:
    from sanitizer.proxy.spool import SpoolAdmin

__all__ = ["cmd_spool", "human_size", "human_time"]

_SHOWN_IDS = 3  # unknown ids named in an error line, at most


def human_time(at: float, now: float) -> str:
    """`2026-12-01 15:04:05Z (3 h ago)`: UTC to the second, and how long ago."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(at))
    return f"{stamp} ({_ago(now - at)})"


def _ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future: check this machine's clock"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _open(args: argparse.Namespace) -> SpoolAdmin:
    from sanitizer.proxy.spool import open_admin

    if args.config:
        from sanitizer.proxy.config import load_settings

        settings = load_settings(args.config)
        return open_admin(settings.spool_backend, path=settings.spool_path, dsn=settings.spool_dsn)
    from sanitizer.proxy.defaults import default_state_dir

    directory = args.spool or default_state_dir() / "spool"
    return open_admin("sqlite", path=directory, dsn=None)


def _list(spool: SpoolAdmin, args: argparse.Namespace) -> int:
    rows = spool.list_dead(limit=args.limit)
    queued, dead = spool.depth(), spool.dead_count()
    if args.json:
        print(jsonio.dumps({"queued": queued, "dead_count": dead, "dead_letters": rows}))
        return EXIT_OK
    print(f"{queued} queued, {dead} dead letters")
    now = time.time()
    for row in rows:
        attempts = row["attempts"]
        print(
            f"{row['id']}  route {row['route']}, dead {human_time(row['dead_at'], now)} after "
            f"{attempts} attempt{'' if attempts == 1 else 's'}, {human_size(row['size'])}, "
            f"queued {human_time(row['created_at'], now)}"
        )
        print(f"    reason: {_printable(str(row['reason']))}")
    if dead > len(rows):
        print(f"(the oldest {len(rows)} of {dead} shown; --limit N shows more)")
    return EXIT_OK


def _printable(text: str) -> str:
    """No control character reaches the terminal (a stored reason is checked when written;
    this keeps rows written by older versions from moving the cursor or setting a title)."""
    return "".join(c if c.isprintable() else " " for c in text)


def _unknown(spool: SpoolAdmin, ids: Sequence[str]) -> list[str]:
    found = set(spool.find_dead(ids))
    return [i for i in dict.fromkeys(ids) if i not in found]


def _check_known(spool: SpoolAdmin, ids: Sequence[str], action: str) -> None:
    unknown = _unknown(spool, ids)
    if unknown:
        shown = ", ".join(i[:40] for i in unknown[:_SHOWN_IDS])
        more = f" and {len(unknown) - _SHOWN_IDS} more" if len(unknown) > _SHOWN_IDS else ""
        fail(
            f"no dead letter with id {shown}{more}; nothing {action}. "
            "`sanitizer spool list` shows the ids",
            EXIT_REFUSED,
        )


def _retry(spool: SpoolAdmin, args: argparse.Namespace) -> int:
    if args.ids:
        _check_known(spool, args.ids, "queued again")
    print(f"{spool.retry_dead(args.ids or None)} dead letter(s) queued again")
    return EXIT_OK


def _confirmed(count: int) -> bool:
    sys.stderr.write(f"purge {count} dead letter(s) for good? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _purge(spool: SpoolAdmin, args: argparse.Namespace) -> int:
    if not args.ids and not args.all:
        fail("purge needs --id ID (repeatable) or --all; `sanitizer spool list` shows the ids")
    if args.ids:
        _check_known(spool, args.ids, "purged")
        count = len(set(args.ids))
    else:
        count = spool.dead_count()
    if count == 0:
        print("no dead letters to purge")
        return EXIT_OK
    print(f"{count} dead letter(s) to purge")
    sys.stdout.flush()
    if not args.yes:
        if not sys.stdin.isatty():
            fail("not at a terminal: add --yes to purge without being asked; nothing purged")
        if not _confirmed(count):
            fail("not confirmed; nothing purged", EXIT_REFUSED)
    print(f"{spool.purge_dead(args.ids or None)} dead letter(s) purged")
    return EXIT_OK


_ACTIONS = {"list": _list, "retry": _retry, "purge": _purge}


def cmd_spool(args: argparse.Namespace) -> int:
    if getattr(args, "ids", None) and getattr(args, "all", False):
        fail("give --id or --all, not both", EXIT_USAGE)
    return _ACTIONS[args.action](_open(args), args)
