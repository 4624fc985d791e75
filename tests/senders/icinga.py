"""A real Icinga 2 daemon (Debian's icinga2-bin) with its configuration, state and run files in
a test's directory, running as the current user, notifying with deploy/icinga2/'s commands."""

from __future__ import annotations

import getpass
import grp
import json
import os
import sys
from pathlib import Path

from tests.proxyproc import ROOT, environment
from tests.senders.harness import Service, data_file, program, start_service

BINARY = "/usr/sbin/icinga2"
ITL = Path("/usr/share/icinga2/include/itl")
DEPLOY = ROOT / "deploy" / "icinga2"
READY = "Activated all objects"


def icinga_string(value: str) -> str:
    """An Icinga 2 DSL string literal (its escapes are JSON's for what tests put in them)."""
    return json.dumps(value)


def sanitizer_command(directory: Path) -> Path:
    """A `sanitizer` command running this checkout with the test's Python."""
    command = directory / "sanitizer"
    command.write_text(f'#!/bin/sh\nexec {sys.executable} -m sanitizer.cli "$@"\n')
    command.chmod(0o755)
    return command


def start_icinga(workdir: Path, *, url: str, token: str, objects: str) -> Service:
    """Icinga 2 with deploy/icinga2/commands.conf and notifications.conf, their constants
    pointing at `url` with `token`, and the test's own `objects` (hosts, services)."""
    binary = program(BINARY)
    data_file(ITL)
    workdir.mkdir(parents=True, exist_ok=True)
    token_file = workdir / "sanitizer.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    config = workdir / "icinga2.conf"
    config.write_text(
        "\n".join(
            [
                f"const SanitizerCommand = {icinga_string(str(sanitizer_command(workdir)))}",
                f"const SanitizerUrl = {icinga_string(url)}",
                f"const SanitizerTokenFile = {icinga_string(str(token_file))}",
                "include <itl>",
                f"include {icinga_string(str(DEPLOY / 'commands.conf'))}",
                f"include {icinga_string(str(DEPLOY / 'notifications.conf'))}",
                'object CheckerComponent "checker" { }',
                'object NotificationComponent "notification" { }',
                objects,
            ]
        ),
        encoding="utf-8",
    )
    paths = {}
    for name in ("DataDir", "LogDir", "CacheDir", "SpoolDir", "InitRunDir"):
        directory = workdir / name.lower()
        directory.mkdir(exist_ok=True)
        paths[name] = directory
    command = [
        binary,
        "daemon",
        "--config",
        str(config),
        "--log-level",
        "notice",
        *(f"--define=Configuration.{name}={path}" for name, path in paths.items()),
        # The daemon drops root for RunAsUser; run it as whoever runs the tests.
        f"--define=Configuration.RunAsUser={getpass.getuser()}",
        f"--define=Configuration.RunAsGroup={grp.getgrgid(os.getgid()).gr_name}",
    ]
    log = workdir / "icinga2.log"
    return start_service(
        "icinga2",
        command,
        workdir,
        lambda: log.exists() and READY in log.read_text(errors="replace"),
        env=environment(),
    )
