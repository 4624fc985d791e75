"""Run the proxy as a real process on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
INBOUND_TOKEN = "inbound-token-0123456789abcdef"
VICTOROPS_KEY = "vo-api-key-5f4dcc3b5aa765d61d8327deb882cf99"
PSEUDONYM_KEY = base64.b64encode(bytes(range(32))).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ProxyProcess:
    url: str
    port: int
    workdir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    verify: ssl.SSLContext | bool = True  # an https proxy: the client context (https_client)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def post(self, route: str, body: bytes | str, **headers: str) -> httpx.Response:
        all_headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {INBOUND_TOKEN}",
            **headers,
        }
        with self.died_explained():
            return httpx.post(
                f"{self.url}/v1/alerts/{route}",
                content=body,
                headers=all_headers,
                timeout=10,
                verify=self.verify,
            )

    def metric(self, name: str, **labels: str) -> float:
        with self.died_explained():
            text = httpx.get(f"{self.url}/metrics", timeout=5, verify=self.verify).text
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    @contextlib.contextmanager
    def died_explained(self) -> Iterator[None]:
        """A request that cannot connect because the proxy has exited fails with how it
        ended (its exit status or the signal, e.g. SIGBUS) and its log, not a bare
        ConnectError."""
        try:
            yield
        except httpx.TransportError as exc:
            if self.process.poll() is None:
                raise
            raise RuntimeError(f"the proxy {self._ended()}:\n{self.log()}") from exc

    def _ended(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with status {code}"

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def https_client(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A client context trusting `ca` (host names checked), presenting `cert` if given."""
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert), None if key is None else str(key))
    return context


def environment(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "INBOUND_TOKEN": INBOUND_TOKEN,
        "VICTOROPS_API_KEY": VICTOROPS_KEY,
        "SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY,
        **extra,
    }


def start_proxy(
    workdir: Path,
    config: str,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    https: ssl.SSLContext | None = None,
) -> ProxyProcess:
    """Write `config` to workdir/config.yaml, start `sanitizer serve`, wait until ready.

    A config with `listen.tls` needs `https`, the client context to reach it with
    (`https_client`); the proxy's URL is then https://127.0.0.1:PORT."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(config, encoding="utf-8")
    port = port or free_port()
    log_path = workdir / f"proxy-{port}-{time.monotonic_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "sanitizer.cli",
        "serve",
        "--config",
        str(workdir / "config.yaml"),
        "--port",
        str(port),
        *args,
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env or environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    scheme = "http" if https is None else "https"
    proxy = ProxyProcess(
        f"{scheme}://127.0.0.1:{port}", port, workdir, process, log_path, https or True
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{proxy.url}/readyz", timeout=1, verify=proxy.verify).status_code == 200:
                return proxy
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            proxy.stop(signal.SIGKILL)
            raise RuntimeError(f"proxy did not start:\n{proxy.log()}")
        time.sleep(0.05)
