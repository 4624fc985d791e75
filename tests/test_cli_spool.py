"""`sanitizer spool` as an operator runs it: human times, one-line refusals, and a purge that
says how many before it deletes anything, asks on a terminal, and needs --yes elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.cli.main import main
from sanitizer.cli.spool import human_time
from sanitizer.proxy.spool import Spool
from tests.proxyproc import environment

REASON = 'HTTP 400: {"message": "Invalid event"}'


def make_dead_letters(directory: Path, count: int) -> list[str]:
    async def main() -> list[str]:
        spool = Spool(directory, max_bytes=1 << 20)
        await spool.start()
        try:
            ids = []
            for _ in range(count):
                alert_id = await spool.append("nagios", b'{"state": "CRITICAL"}')
                await spool.dead_letter(alert_id, reason=REASON)
                ids.append(alert_id)
            return ids
        finally:
            await spool.close()

    return asyncio.run(main())


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def spool(directory: Path, *args: str) -> Done:
    """`sanitizer spool ARGS --spool DIR` in this process, stdin not a terminal."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _stdin(io.StringIO("")),
    ):
        try:
            code = main(["spool", *args, "--spool", str(directory)])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return Done(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _stdin(replacement: io.StringIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, replacement
    try:
        yield
    finally:
        sys.stdin = saved


def dead_ids(directory: Path) -> list[str]:
    listed = spool(directory, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return [row["id"] for row in json.loads(listed.stdout)["dead_letters"]]


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "spool"


def test_list_shows_when_each_died_in_utc_and_how_long_ago_with_its_reason(directory):
    [alert_id] = make_dead_letters(directory, 1)
    listed = spool(directory, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "0 queued, 1 dead letters"
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+ s ago\)"
    assert re.fullmatch(
        rf"{alert_id}  route nagios, dead {stamp} after 1 attempt, 21 B, queued {stamp}", lines[1]
    ), lines[1]
    assert lines[2] == f"    reason: {REASON}"


def test_list_json_is_one_document_for_scripts(directory):
    ids = make_dead_letters(directory, 3)
    listed = spool(directory, "list", "--json", "--limit", "2")
    document = json.loads(listed.stdout)
    assert (document["queued"], document["dead_count"]) == (0, 3)
    assert [row["id"] for row in document["dead_letters"]] == ids[:2]
    assert set(document["dead_letters"][0]) == {
        "id",
        "route",
        "created_at",
        "dead_at",
        "attempts",
        "reason",
        "size",
    }


def test_list_says_when_it_shows_only_the_oldest(directory):
    make_dead_letters(directory, 3)
    listed = spool(directory, "list", "--limit", "1")
    assert "(the oldest 1 of 3 shown; --limit N shows more)" in listed.stdout


def test_retry_of_an_unknown_id_exits_1_in_one_line_and_queues_nothing(directory):
    [known] = make_dead_letters(directory, 1)
    done = spool(directory, "retry", "--id", known, "--id", "no-such-id")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "sanitizer: no dead letter with id no-such-id; nothing queued again. "
        "`sanitizer spool list` shows the ids"
    ]
    assert dead_ids(directory) == [known]


def test_retry_of_known_ids_queues_them_again(directory):
    ids = make_dead_letters(directory, 2)
    done = spool(directory, "retry", "--id", ids[1])
    assert (done.returncode, done.stdout) == (0, "1 dead letter(s) queued again\n")
    assert dead_ids(directory) == [ids[0]]


def test_purge_needs_ids_or_all(directory):
    make_dead_letters(directory, 1)
    done = spool(directory, "purge")
    assert done.returncode == 2 and "purge needs --id ID (repeatable) or --all" in done.stderr
    assert len(dead_ids(directory)) == 1


def test_purge_without_a_terminal_says_how_many_and_purges_nothing_without_yes(directory):
    make_dead_letters(directory, 2)
    done = spool(directory, "purge", "--all")
    assert done.returncode == 2
    assert done.stdout == "2 dead letter(s) to purge\n"
    assert done.stderr.splitlines() == [
        "sanitizer: not at a terminal: add --yes to purge without being asked; nothing purged"
    ]
    assert len(dead_ids(directory)) == 2
    done = spool(directory, "purge", "--all", "--yes")
    assert (done.returncode, done.stdout) == (
        0,
        "2 dead letter(s) to purge\n2 dead letter(s) purged\n",
    )
    assert dead_ids(directory) == []


def test_purge_of_an_unknown_id_purges_nothing(directory):
    [known] = make_dead_letters(directory, 1)
    done = spool(directory, "purge", "--id", "gone", "--id", known, "--yes")
    assert done.returncode == 1 and "no dead letter with id gone; nothing purged" in done.stderr
    assert dead_ids(directory) == [known]


def run_on_a_terminal(directory: Path, answer: bytes, *args: str) -> tuple[int, str]:
    """Run `sanitizer spool ARGS` with a pseudo-terminal as stdin/stdout/stderr; type
    `answer` once it asks. Returns the exit status and everything it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sanitizer.cli", "spool", *args, "--spool", str(directory)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment(),
        close_fds=True,
    )
    os.close(follower)
    written = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the child closed the terminal: it has exited
                    break
                if not chunk:
                    break
                written += chunk
                if not answered and b"[y/N]" in written:
                    os.write(leader, answer)
                    answered = True
            elif process.poll() is not None:
                break
        return process.wait(30), written.decode("utf-8", "replace")
    finally:
        os.close(leader)


def test_purge_on_a_terminal_asks_first_and_a_no_purges_nothing(directory):
    make_dead_letters(directory, 2)
    status, written = run_on_a_terminal(directory, b"n\n", "purge", "--all")
    assert status == 1, written
    assert "2 dead letter(s) to purge" in written and "purge 2 dead letter(s) for good? [y/N]" in (
        written
    )
    assert "not confirmed; nothing purged" in written
    assert len(dead_ids(directory)) == 2


def test_purge_on_a_terminal_purges_after_a_yes(directory):
    ids = make_dead_letters(directory, 2)
    status, written = run_on_a_terminal(directory, b"y\n", "purge", "--id", ids[0])
    assert status == 0, written
    assert "1 dead letter(s) purged" in written
    assert dead_ids(directory) == [ids[1]]


@given(
    at=st.floats(min_value=0, max_value=4e9),
    ago=st.floats(min_value=0, max_value=1e8),
)
def test_human_time_is_utc_to_the_second_and_how_long_ago(at, ago):
    text = human_time(at, at + ago)
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(at))
    match = re.fullmatch(rf"{re.escape(stamp)} \((\d+) (s|min|h|d) ago\)", text)
    assert match, text
    size = {"s": 1, "min": 60, "h": 3600, "d": 86400}[match[2]]
    assert int(match[1]) * size <= ago < (int(match[1]) + 1) * size
    assert match[2] == "d" or int(match[1]) < {"s": 60, "min": 60, "h": 24}[match[2]]


def test_a_time_ahead_of_the_clock_says_so():
    assert human_time(1000.0, 900.0).endswith("(in the future: check this machine's clock)")
