"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on loopback, fed through
its own API, notifying one receiver with short group timers so each test takes seconds."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.proxyproc import free_port
from tests.senders.harness import Service, answers, program, start_service

BINARY = "/usr/bin/prometheus-alertmanager"


@dataclass
class Alertmanager:
    url: str
    service: Service

    def post(self, *alerts: dict[str, Any]) -> None:
        """Hand alerts to Alertmanager as Prometheus does (API v2)."""
        response = httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=5)
        assert response.status_code == 200, response.text

    def log(self) -> str:
        return self.service.log()

    def stop(self) -> None:
        self.service.stop()


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert(labels: dict[str, str], annotations: dict[str, str], *, resolved: bool = False) -> dict:
    """An alert as Prometheus posts it: firing, or resolved (endsAt in the past)."""
    now = datetime.datetime.now(datetime.UTC)
    body: dict[str, Any] = {
        "labels": labels,
        "annotations": annotations,
        "startsAt": _iso(now - datetime.timedelta(minutes=5)),
        "generatorURL": "http://prometheus.corp.internal:9090/graph?g0.expr=up%3D%3D0",
    }
    if resolved:
        body["endsAt"] = _iso(now - datetime.timedelta(seconds=1))
    return body


def start_alertmanager(workdir: Path, receiver: dict[str, Any]) -> Alertmanager:
    """Alertmanager routing every alert, grouped by alertname, to `receiver`."""
    binary = program(BINARY)
    workdir.mkdir(parents=True, exist_ok=True)
    config = {
        "route": {
            "receiver": "sanitizer",
            "group_by": ["alertname"],
            "group_wait": "300ms",
            "group_interval": "500ms",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "sanitizer", **receiver}],
    }
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        binary,
        f"--config.file={config_path}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # a single instance: no gossip port
        "--log.level=debug",
    ]
    service = start_service("alertmanager", command, workdir, lambda: answers(f"{url}/-/ready"))
    return Alertmanager(url, service)
