"""The real image, end to end: build deploy/Dockerfile without a Docker daemon and run it hardened.

`scripts/image-prereqs` installs podman, runc and debootstrap (Debian's packages) and makes a
base root filesystem (Debian bookworm with python3), both cached in
/var/tmp/alert-sanitizer-image-cache. The test then, in a podman storage of its own under a
temporary directory:

1. imports that root filesystem as the base image (the stand-in for python:3.x-slim);
2. downloads the wheels of requirements/runtime.lock and requirements/build.lock (cached, hash
   checked) into the build context's deploy/wheels/ and builds the image with
   --build-arg PIP_NO_INDEX=1 and --network none: the users' Dockerfile, no network at all;
3. runs it with a read-only root filesystem, all capabilities dropped, no-new-privileges, as
   the image's own non-root user, the config and secrets mounted read-only, the state
   directory (spool) a host directory, on the host's network; posts a Nagios alert and sees it
   arrive sanitized at an upstream stand-in (tests/standin.py);
4. holds a second alert back (the stand-in answers 503), stops the container with SIGTERM
   and sees it exit 0 with that alert still in an intact spool; a new container on the same
   spool delivers it.

Needs root. Where the prerequisites cannot be had (not root, no apt) or podman cannot start a
container, the test is skipped with the reason. SANITIZER_SKIP_IMAGE_SMOKE=1 skips it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.proxyproc import PSEUDONYM_KEY, free_port
from tests.standin import start_standin

ROOT = Path(__file__).resolve().parents[1]
UID = 10001
INBOUND_TOKEN = "smoke-inbound-token-0123456789abcdef"
VICTOROPS_KEY = "smoke-vo-api-key-5f4dcc3b5aa765d61d8327de"
IMAGE = "localhost/alert-sanitizer:smoke"
RAW_VALUES = (  # in tests/fixtures/alerts/nagios-service-critical.json; none may leave
    "10.20.30.40",
    "10.20.31.7",
    "2001:db8:0:12::7",
    "dba@example.com",
    "dba-oncall@example.com",
    "S3cretPass",
    "AKIAIOSFODNN7EXAMPLE",
    "+44 20 7946 0958",
    "oncall-dba",
    "check_pgsql",
)
CONTEXT_SKIP = {
    ".git",
    ".venv",
    "var",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "build",
    "dist",
    "node_modules",
}


def _run(
    command: list[str], *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


@dataclass
class Podman:
    """podman with a configuration and storage of its own."""

    env: dict[str, str]
    info: dict[str, str]
    workdir: Path

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = _run(["podman", *args], env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            pytest.fail(
                f"podman {' '.join(args[:3])} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result


def _prerequisites() -> dict[str, str]:
    if os.environ.get("SANITIZER_SKIP_IMAGE_SMOKE"):
        pytest.skip("SANITIZER_SKIP_IMAGE_SMOKE is set")
    if os.geteuid() != 0:
        pytest.skip("the image smoke test needs root (apt-get, debootstrap, rootful podman)")
    result = _run([str(ROOT / "scripts" / "image-prereqs")], timeout=900)
    if result.returncode == 3:
        pytest.skip(f"image prerequisites cannot be had here: {result.stderr.strip()}")
    if result.returncode != 0:
        pytest.fail(f"scripts/image-prereqs failed:\n{result.stderr[-4000:]}")
    return dict(
        line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and line.isascii()
    )


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    info = _prerequisites()
    workdir = tmp_path_factory.mktemp("podman")
    (workdir / "containers.conf").write_text(
        "[containers]\n"
        'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n'
        "[engine]\n"
        'runtime = "runc"\n'  # crun fails on some cgroup set-ups
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
        f'tmp_dir = "{workdir}/tmp"\n'
        f'volume_path = "{workdir}/volumes"\n'
        "[network]\n"
        f'network_config_dir = "{workdir}/networks"\n',
        encoding="utf-8",
    )
    (workdir / "storage.conf").write_text(
        f'[storage]\ndriver = "overlay"\nrunroot = "{workdir}/run"\n'
        f'graphroot = "{workdir}/storage"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(workdir / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(workdir / "storage.conf"),
    }
    tool = Podman(env=env, info=info, workdir=workdir)
    try:
        base = f"localhost/alert-sanitizer-base:{Path(info['BASE_ROOTFS']).stem}"
        imported = tool("import", info["BASE_ROOTFS"], base, timeout=300, check=False)
        probe = imported
        if imported.returncode == 0:
            probe = tool("run", "--rm", "--network", "host", base, "true", check=False)
        if probe.returncode != 0:
            pytest.skip(
                f"podman cannot run containers here: {(probe.stderr or probe.stdout).strip()}"
            )
        tool.info["BASE_IMAGE"] = base
        yield tool
    finally:
        # Only this storage's containers and images; never `system reset`, which would reach
        # shared state such as network definitions.
        tool("rm", "--all", "--force", "--time", "0", check=False)
        tool("rmi", "--all", "--force", timeout=300, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def _platforms(glibc: str, machine: str) -> list[str]:
    """manylinux tags a wheel may carry to run on this glibc (pip does not infer older ones)."""
    major, minor = (int(part) for part in glibc.split(".")[:2])
    assert major == 2
    tags = [f"manylinux_2_{m}_{machine}" for m in range(minor, 4, -1)]
    return [*tags, f"manylinux2014_{machine}", f"manylinux2010_{machine}", f"manylinux1_{machine}"]


def _wheelhouse(info: dict[str, str]) -> Path:
    """The wheels of both lock files for the base's Python and platform, cached by content."""
    locks = [ROOT / "requirements" / "runtime.lock", ROOT / "requirements" / "build.lock"]
    key = hashlib.sha256()
    for lock in locks:
        key.update(lock.read_bytes())
    key.update(f"{info['BASE_PYTHON']} {info['BASE_GLIBC']} {info['BASE_MACHINE']}".encode())
    cache = Path(info["CACHE_DIR"]) / "wheels" / key.hexdigest()[:16]
    if cache.is_dir():
        return cache
    partial = cache.with_name(cache.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        info["BASE_PYTHON"],
        "--dest",
        str(partial),
    ]
    for tag in _platforms(info["BASE_GLIBC"], info["BASE_MACHINE"] or platform.machine()):
        command += ["--platform", tag]
    for lock in locks:
        command += ["-r", str(lock)]
    result = _run(command, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"pip download of the lock files failed:\n{result.stderr[-4000:]}")
    try:
        partial.rename(cache)
    except OSError:  # another run got there first
        if not cache.is_dir():
            raise
        shutil.rmtree(partial, ignore_errors=True)
    for old in cache.parent.iterdir():  # wheels of earlier lock files
        if old != cache and ".partial-" not in old.name:
            shutil.rmtree(old, ignore_errors=True)
    return cache


def _context(directory: Path, wheels: Path) -> Path:
    """The repository as `docker build .` would see it, with the wheels in deploy/wheels/."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in CONTEXT_SKIP or n.endswith(".egg-info")}
        if Path(folder).resolve() == (ROOT / "deploy" / "wheels").resolve():
            skipped |= {n for n in names if n != "README.md"}
        return skipped

    shutil.copytree(ROOT, directory, ignore=ignore)
    for wheel in wheels.glob("*.whl"):
        shutil.copy2(wheel, directory / "deploy" / "wheels" / wheel.name)
    return directory


@pytest.fixture(scope="module")
def image(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    wheels = _wheelhouse(podman.info)
    context = _context(tmp_path_factory.mktemp("context") / "src", wheels)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    started = time.monotonic()
    podman(
        "build",
        "--format",
        "docker",  # keeps HEALTHCHECK (the OCI format has no place for it)
        "--network",
        "none",  # proof that the build needs no network
        "--pull=never",
        "--build-arg",
        f"BASE_IMAGE={podman.info['BASE_IMAGE']}",
        "--build-arg",
        "PIP_NO_INDEX=1",
        "--build-arg",
        f"VERSION={version}",
        "--file",
        str(context / "deploy" / "Dockerfile"),
        "--ignorefile",
        str(context / "deploy" / "Dockerfile.dockerignore"),
        "--tag",
        IMAGE,
        str(context),
        timeout=900,
    )
    print(f"image built in {time.monotonic() - started:.1f} s", file=sys.stderr)
    (inspected,) = json.loads(podman("image", "inspect", IMAGE).stdout)
    inspected["_version"] = version
    return inspected


def test_image_metadata(image: dict[str, Any]) -> None:
    config = image["Config"]
    assert config["User"] == f"{UID}:{UID}"
    assert config["StopSignal"] == "SIGTERM"
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Entrypoint"] == ["sanitizer"]
    assert "/var/lib/alert-sanitizer" in config["Volumes"]
    # podman shows the Docker-format healthcheck beside Config, Docker inside it.
    healthcheck = (config.get("Healthcheck") or image["Healthcheck"])["Test"]
    assert healthcheck[0] == "CMD" and "/healthz" in healthcheck[-1]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.version"] == image["_version"]
    assert labels["org.opencontainers.image.source"]
    assert "SANITIZER_RULES_DIR=/opt/alert-sanitizer/rules" in config["Env"]


def test_image_holds_no_compiler_pip_or_cache(podman: Podman, image: dict[str, Any]) -> None:
    script = (
        "import glob, os, shutil, sys\n"
        "found = [t for t in ('gcc', 'cc', 'g++', 'make') if shutil.which(t)]\n"
        "found += glob.glob('/opt/alert-sanitizer/venv/bin/pip*')\n"
        "found += glob.glob('/root/.cache/pip') + glob.glob('/wheelhouse') + glob.glob('/dist')\n"
        "found += [p for p in ('/src', '/locks', '/opt/build') if os.path.exists(p)]\n"
        "rules = sorted(os.listdir(os.environ['SANITIZER_RULES_DIR']))\n"
        "print(found, rules)\n"
        "sys.exit(1 if found or 'nagios.yaml' not in rules else 0)\n"
    )
    result = podman(
        "run", "--rm", "--network", "none", "--entrypoint", "python", IMAGE, "-c", script
    )
    assert result.returncode == 0, result.stdout


def _write_config(directory: Path, port_upstream: str) -> tuple[Path, Path, Path]:
    etc, secrets, state = directory / "etc", directory / "secrets", directory / "state"
    for path in (etc, secrets, state):
        path.mkdir(parents=True)
    (etc / "config.yaml").write_text(
        "listen: {host: 0.0.0.0, port: 8080}\n"
        "spool: {path: /var/lib/alert-sanitizer/spool}\n"
        "delivery: {workers: 2, backoff_base: 0.2, backoff_cap: 1}\n"
        "routes:\n"
        "  nagios:\n"
        "    credentials: [{file: /run/secrets/nagios_inbound_token}]\n"
        "    policy: /opt/alert-sanitizer/rules/nagios.yaml\n"
        "    upstream:\n"
        "      type: victorops\n"
        f"      url: {port_upstream}/integrations/generic/20131114/alert\n"
        "      api_key: {file: /run/secrets/victorops_api_key}\n"
        "      routing_key: ops\n",
        encoding="utf-8",
    )
    (secrets / "nagios_inbound_token").write_text(INBOUND_TOKEN + "\n", encoding="utf-8")
    (secrets / "victorops_api_key").write_text(VICTOROPS_KEY + "\n", encoding="utf-8")
    for path in (etc, secrets, etc / "config.yaml", *secrets.iterdir()):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chown(state, UID, UID)  # the image's user owns its state, as on a fresh named volume
    os.chmod(state, 0o700)
    return etc, secrets, state


def _start(podman: Podman, name: str, port: int, etc: Path, secrets: Path, state: Path) -> str:
    podman(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
        "--tmpfs",
        "/tmp:rw,size=16m,mode=1777",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--env",
        "SANITIZER_LISTEN_HOST=127.0.0.1",
        "--env",
        f"SANITIZER_LISTEN_PORT={port}",
        "--env",
        f"SANITIZER_KEY_PSEUDONYM={PSEUDONYM_KEY}",
        "--volume",
        f"{etc}:/etc/alert-sanitizer:ro",
        "--volume",
        f"{secrets}:/run/secrets:ro",
        "--volume",
        f"{state}:/var/lib/alert-sanitizer",
        IMAGE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        running = podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
        if running != "true" or time.monotonic() > deadline:
            logs = podman("logs", name, check=False)
            pytest.fail(f"container {name} did not get ready:\n{logs.stdout}\n{logs.stderr}")
        time.sleep(0.2)


def _stop(podman: Podman, name: str) -> tuple[int, str]:
    """SIGTERM, as a runtime stopping the container sends it; the exit status and the logs."""
    podman("kill", "--signal", "TERM", name)
    podman("wait", name, timeout=60)
    status = int(podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout)
    logs = podman("logs", name)
    return status, logs.stdout + logs.stderr


def _spool_rows(state: Path) -> int:
    database = state / "spool" / "spool.db"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        (check,) = conn.execute("PRAGMA integrity_check").fetchone()
        assert check == "ok"
        (rows,) = conn.execute("SELECT count(*) FROM queue").fetchone()
    conn.close()
    return rows


def _post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/alerts/nagios",
        content=body,
        headers={"authorization": f"Bearer {INBOUND_TOKEN}", "content-type": "application/json"},
        timeout=10,
    )


def test_runs_hardened_sanitizes_and_stops_cleanly(
    podman: Podman, image: dict[str, Any], tmp_path: Path
) -> None:
    standin = start_standin(tmp_path / "standin")
    names: list[str] = []
    try:
        etc, secrets, state = _write_config(tmp_path / "run", standin.url)
        port = free_port()
        names.append("sanitizer-smoke-1")
        url = _start(podman, names[0], port, etc, secrets, state)

        # Hardened as asked: PID 1 is the proxy, non-root, no capabilities at all, no new
        # privileges, on a read-only root filesystem.
        probe = podman(
            "exec",
            names[0],
            "python",
            "-c",
            "status = dict(l.split(':', 1) for l in open('/proc/1/status'));"
            "root = [m for m in open('/proc/1/mounts') if m.split()[1] == '/'][-1];"
            "command = open('/proc/1/cmdline').read().split(chr(0));"
            "print(command[1:3], {k: status[k].split() for k in ('Uid', 'Gid', 'CapEff',"
            " 'CapPrm', 'CapBnd', 'NoNewPrivs')}, root.split()[3].split(',')[0])",
        ).stdout
        assert probe.startswith("['/opt/alert-sanitizer/venv/bin/sanitizer', 'serve']"), probe
        assert "'Uid': ['10001', '10001', '10001', '10001']" in probe
        assert "'Gid': ['10001', '10001', '10001', '10001']" in probe
        for caps in ("CapEff", "CapPrm", "CapBnd"):
            assert f"'{caps}': ['0000000000000000']" in probe
        assert "'NoNewPrivs': ['1']" in probe
        assert probe.strip().endswith(" ro")
        write = podman("exec", names[0], "touch", "/opt/alert-sanitizer/x", check=False)
        assert write.returncode != 0 and "Read-only file system" in write.stderr
        health = podman("healthcheck", "run", names[0], check=False)
        assert health.returncode == 0, health.stdout + health.stderr

        # An alert goes in, and arrives upstream sanitized.
        alert = (ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_bytes()
        response = _post(url, alert)
        assert response.status_code == 202, response.text
        (delivered,) = standin.wait_for(1, timeout=30)
        assert delivered["path"] == f"/integrations/generic/20131114/alert/{VICTOROPS_KEY}/ops"
        body = json.loads(delivered["body"])
        assert body["monitoring_tool"] == "nagios"
        assert body["message_type"] == "CRITICAL"
        for raw in RAW_VALUES:
            assert raw not in delivered["body"], raw

        # A second one is held back by the upstream: it must survive the stop.
        standin.set_mode("fail503")
        second = _post(url, alert)
        assert second.status_code == 202, second.text
        standin.wait_for(2, timeout=30)
        listed = podman(
            "exec", names[0], "sanitizer", "spool", "list", "--spool",
            "/var/lib/alert-sanitizer/spool",
        ).stdout  # fmt: skip
        assert listed.startswith("1 queued"), listed

        status, logs = _stop(podman, names[0])
        assert status == 0, logs
        assert "shutting down" in logs and '"msg": "stopped"' in logs
        assert _spool_rows(state) == 1

        # The same spool in a new container: the held alert is delivered after all.
        standin.set_mode("ok")
        names.append("sanitizer-smoke-2")
        _start(podman, names[1], free_port(), etc, secrets, state)
        deadline = time.monotonic() + 30
        while not [r for r in standin.requests()[2:] if r["mode"] == "ok"]:
            assert time.monotonic() < deadline, "the spooled alert was not delivered"
            time.sleep(0.2)
        status, logs = _stop(podman, names[1])
        assert status == 0, logs
        assert _spool_rows(state) == 0
    finally:
        for name in names:
            podman("rm", "--force", "--time", "0", name, check=False)
        standin.stop()
