"""An Icinga 2 daemon notifying through `sanitizer send --nagios-env` with the definitions of
deploy/icinga2/ (host and service commands), through rules/nagios.yaml to a VictorOps-shaped
stand-in."""

from __future__ import annotations

from pathlib import Path

from tests.senders.harness import (
    VICTOROPS_ROUTING_KEY,
    Canaries,
    assert_nothing_leaked,
    start_route_proxy,
    url_safe_token,
    victorops_upstream,
    wait_for_bodies,
)
from tests.senders.icinga import icinga_string, start_icinga

HOST_IP = "10.20.30.40"
SERVICE = "db-prod-07 / backup"
DOWN_HOST = "gw-07 / host check"


def check_plugin(directory: Path, output: str) -> tuple[Path, Path]:
    """A check plugin printing `output` and exiting with the state written in its state file
    (0 OK, 2 CRITICAL); the test changes that file to make the service recover."""
    state = directory / "backup.state"
    state.write_text("2")
    (directory / "backup.output").write_text(output + "\n")
    plugin = directory / "check_backup"
    plugin.write_text(f'#!/bin/sh\ncat "{directory}/backup.output"\nexit "$(cat "{state}")"\n')
    plugin.chmod(0o755)
    return plugin, state


def objects(canaries: Canaries, plugin: Path) -> str:
    """A host that is up with one service that fails (secrets in its plugin output), and a
    host that is down (secrets in its output); both notify through the proxy."""
    return f"""
object CheckCommand "check-backup" {{
  command = [ {icinga_string(str(plugin))} ]
}}
object Host "db-prod-07" {{
  check_command = "dummy"
  vars.dummy_state = 0
  vars.dummy_text = "PING OK"
  address = "{HOST_IP}"
  check_interval = 1h
  max_check_attempts = 1
  vars.notify_via_sanitizer = true
  vars.owner_email = {icinga_string(canaries.email)}
}}
object Service "backup" {{
  host_name = "db-prod-07"
  check_command = "check-backup"
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 1
}}
object Host "gw-07" {{
  check_command = "dummy"
  vars.dummy_state = 2
  vars.dummy_text = {icinga_string("CRITICAL - unreachable, " + canaries.prose())}
  address = "{HOST_IP}"
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 1
  vars.notify_via_sanitizer = true
}}
"""


def test_icinga2_problems_and_recovery_arrive_sanitized_through_sanitizer_send(
    tmp_path, standin, stopper
):
    token = url_safe_token()
    proxy = stopper(
        start_route_proxy(tmp_path, "icinga", "nagios.yaml", victorops_upstream(standin), token)
    )
    canaries = Canaries.plant()
    workdir = tmp_path / "icinga2"
    workdir.mkdir()
    plugin, state = check_plugin(workdir, canaries.prose())
    icinga = stopper(
        start_icinga(
            workdir,
            url=f"{proxy.url}/v1/alerts/icinga",
            token=token,
            objects=objects(canaries, plugin),
        )
    )

    def explain() -> str:
        return f"icinga2:\n{icinga.log()}\nproxy:\n{proxy.log()}"

    def named(bodies: list[dict], name: str) -> list[dict]:
        return [body for body in bodies if body["entity_display_name"] == name]

    bodies = wait_for_bodies(
        standin,
        lambda got: named(got, SERVICE) and named(got, DOWN_HOST),
        what="the service problem and the host problem",
        explain=explain,
    )
    (problem,) = named(bodies, SERVICE)
    assert problem["message_type"] == "CRITICAL"
    assert problem["NOTIFICATIONTYPE"] == "PROBLEM"
    assert problem["SERVICESTATE"] == "CRITICAL"
    assert problem["entity_is_host"] is False
    assert problem["state_message"].startswith("backup job failed: ")
    (host_problem,) = named(bodies, DOWN_HOST)
    assert host_problem["message_type"] == "CRITICAL"
    assert host_problem["HOSTSTATE"] == "DOWN"
    assert host_problem["entity_is_host"] is True

    state.write_text("0")
    bodies = wait_for_bodies(
        standin,
        lambda got: any(b["message_type"] == "RECOVERY" for b in got),
        what="the service's recovery",
        explain=explain,
    )
    (recovery,) = [b for b in bodies if b["message_type"] == "RECOVERY"]
    assert recovery["entity_id"] == problem["entity_id"]
    assert recovery["SERVICESTATE"] == "OK"
    assert all(r["path"].endswith(f"/{VICTOROPS_ROUTING_KEY}") for r in standin.requests())
    assert_nothing_leaked(standin, canaries, proxy=proxy, also=(token, HOST_IP))
