"""A plain (not editable) install of the wheel works from any folder: `sanitizer serve` runs its
bundled default, whose shipped policies travel in the wheel as `sanitizer.rules`, and
`sanitizer demo` completes.

The wheel is built offline from a copy of the sources with this venv's setuptools (no build
isolation) and installed by pip into a fresh venv, which runs from a temporary folder. That venv
reaches the dependencies through a .pth line naming this venv's site-packages: a plain path
entry, so the editable install of the checkout there (a .pth that runs code) stays inactive,
and every `sanitizer` module comes from the wheel (checked). The editable install that
scripts/setup makes reads the checkout's rules/ instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx

from sanitizer.proxy.defaults import ROUTE_POLICIES, rules_dir
from tests.proxyproc import ROOT, free_port

NAGIOS_ALERT = {"HOSTNAME": "db-prod-07", "HOSTADDRESS": "10.20.30.40", "SERVICESTATE": "CRITICAL"}


def copy_sources(target: Path) -> Path:
    """What a source distribution holds: pyproject.toml, README.md, sanitizer/ and rules/."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("sanitizer", "rules"):
        shutil.copytree(ROOT / name, target / name, ignore=skip)
    return target


def build_wheel(source: Path, dist: Path) -> Path:
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--wheel-dir", str(dist), str(source)], cwd=source.parent)  # fmt: skip
    (wheel,) = dist.glob("alert_sanitizer-*.whl")
    return wheel


def assert_wheel_holds_the_sources(wheel: Path, source: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {p.relative_to(source).as_posix() for p in (source / "sanitizer").rglob("*.py")}
    unlisted = sorted({m.rpartition("/")[0].replace("/", ".") for m in modules - names})
    assert not unlisted, f"packages missing from [tool.setuptools] packages: {unlisted}"
    policies = {f"sanitizer/rules/{p.name}" for p in (source / "rules").glob("*.yaml")}
    assert policies and policies <= names, sorted(policies - names)
    assert not [n for n in names if n.startswith("sanitizer/rules/tests/")], "rules/tests shipped"
    page = source / "sanitizer" / "console" / "static"
    assets = {f"sanitizer/console/static/{p.name}" for p in page.iterdir() if p.is_file()}
    assert assets <= names, f"console assets missing from the wheel: {sorted(assets - names)}"


def fresh_venv(path: Path, wheel: Path) -> Path:
    """A venv with only the wheel installed, the dependencies reached through this venv's."""
    run([sys.executable, "-m", "venv", "--without-pip", str(path)])
    python = path / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)])  # fmt: skip
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    ours = dict.fromkeys(sysconfig.get_path(kind) for kind in ("purelib", "platlib"))
    (Path(site.strip()) / "project-dependencies.pth").write_text("\n".join(ours) + "\n")
    return path


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{command[:4]} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def plain_environment() -> dict[str, str]:
    """This environment without what would point the install at the checkout or elsewhere."""
    return {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("SANITIZER_")
    }


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30  # a bound for a proxy that hangs, not a wait
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"serve exited {process.returncode}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"serve not healthy in 30 s:\n{log.read_text()}"
        time.sleep(0.05)


def test_the_installed_wheel_serves_its_bundled_default_and_runs_the_demo(tmp_path):
    source = copy_sources(tmp_path / "src")
    wheel = build_wheel(source, tmp_path / "dist")
    assert_wheel_holds_the_sources(wheel, source)
    venv = fresh_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = plain_environment()

    located = run(
        [str(venv / "bin" / "python"), "-c", "import sanitizer.proxy.defaults as d, json; "
         "print(json.dumps([d.__file__, str(d.rules_dir())]))"],
        cwd=elsewhere,
        env=env,
    )  # fmt: skip
    module, rules = json.loads(located)
    installed = venv.resolve()
    assert Path(module).resolve().is_relative_to(installed), module
    assert Path(rules).resolve().is_relative_to(installed), rules
    assert (Path(rules) / "nagios.yaml").is_file()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = elsewhere / "serve.log"
    with open(log, "wb") as handle:
        serve = subprocess.Popen(
            [str(venv / "bin" / "sanitizer"), "serve", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(url, serve, log)
        ready = httpx.get(f"{url}/readyz", timeout=5).json()
        assert ready["route_count"] == len(ROUTE_POLICIES), ready
        token = (elsewhere / "var" / "tokens" / "nagios").read_text().strip()
        posted = httpx.post(
            f"{url}/v1/alerts/nagios",
            json=NAGIOS_ALERT,
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait(5)
    assert serve.returncode == 0, log.read_text()

    demo = run([str(venv / "bin" / "sanitizer"), "demo"], cwd=elsewhere, env=env)
    assert f"bundled policies from {rules}" in demo
    for route in ("nagios", "victorops", "logzio"):
        assert f"POST /v1/alerts/{route} -> 202" in demo, demo
    assert "demo finished" in demo


def test_the_editable_install_reads_the_policies_in_the_checkout(monkeypatch):
    """In the venv scripts/setup makes, a change to rules/ takes effect without a reinstall."""
    monkeypatch.delenv("SANITIZER_RULES_DIR", raising=False)
    assert rules_dir().resolve() == (ROOT / "rules").resolve()
