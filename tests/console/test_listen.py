"""`sanitizer serve` binds the ingress and console addresses before it says it is ready: an
address in use stops it with one line naming the address, the setting and the fix, exit
status 1, and no "ready" line."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.console.adminproc import ADMIN_TOKEN, admin_config
from tests.proxyproc import ROOT, environment, free_port


def run_serve(tmp_path, ingress_port: int, admin_port: int) -> subprocess.CompletedProcess[str]:
    token_file = tmp_path / "admin.token"
    token_file.write_text(ADMIN_TOKEN)
    config = tmp_path / "config.yaml"
    config.write_text(
        admin_config(
            "http://127.0.0.1:9", admin_port, token_file, policy=str(ROOT / "rules/nagios.yaml")
        )
    )
    command = [sys.executable, "-m", "sanitizer.cli", "serve", "--config", str(config)]
    command += ["--port", str(ingress_port)]
    return subprocess.run(
        command, cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("taken", ["listen", "admin.listen"])
def test_a_port_in_use_is_one_line_naming_it_exit_1_and_no_ready(tmp_path, taken):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        ingress, admin = (busy, free_port()) if taken == "listen" else (free_port(), busy)
        finished = run_serve(tmp_path, ingress, admin)
    lines = (finished.stdout + finished.stderr).splitlines()
    assert finished.returncode == 1
    assert len(lines) == 1, lines
    [line] = lines
    assert f"127.0.0.1:{busy} ({taken})" in line
    assert "already in use" in line and f"{taken}.port" in line
    assert "sanitizer ready" not in line and "Traceback" not in line
