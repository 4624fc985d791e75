"""Alert text with nothing sensitive in it, and the grey zone between.

Benign text is what alerts are mostly made of: versions (`2.19.5.57`), timestamps and
durations, UUIDs, git SHAs, Nagios perfdata, metric values, SNMP OIDs, file paths, HTTP
status lines, Kubernetes pod names, public host names and prose. A sanitizer that changes it
costs on-call the detail they need, so the corpus measures how often that happens.

Grey-zone text holds things a reasonable detector may or may not take: Fibre Channel WWNs
(eight colon-separated octets, a MAC address's longer cousin) and 16-digit order numbers
(a tenth of them pass the Luhn check like a card number). It is reported apart, never counted
as benign.
"""

from __future__ import annotations

import uuid
from random import Random

from tests.corpus.secrets import HEX, chars, digits, pick

PUBLIC_HOSTS = [
    "web-03.example.com",
    "api.example.org",
    "lb-1.example.net",
    "www.example.com",
    "status.example.io",
    "registry.npmjs.org",
    "api.github.com",
    "web-07",
    "checkout-2",
    "s3.eu-west-1.amazonaws.com",
    "cdn.example.co.uk",
]
SERVICES = [
    "PostgreSQL connections",
    "Disk /var",
    "HTTP api",
    "Load average",
    "Memory usage",
    "NTP offset",
    "SSL certificate",
    "Kafka consumer lag",
    "RabbitMQ queue depth",
    "Backup age",
    "Swap usage",
    "Interface eth0 traffic",
    "Zombie processes",
]
TITLES = [
    "Checkout latency p95 above 2s",
    "[FIRING:2] KubePodCrashLooping payments",
    "[FIRING:1] HighMemory node",
    "Login failures spiking",
    "Disk space low on web-03",
    "CPU idle below 1% on telegraf-04",
    "Error rate above 5% for orders-api",
    "[RESOLVED] TargetDown blackbox",
    "Certificate expires in 12 days",
]


def version(rng: Random) -> str:
    return pick(
        rng,
        [
            f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            f"2.19.{rng.randint(0, 9)}.{rng.randint(10, 99)}",
            f"1.{rng.randint(24, 30)}.{rng.randint(0, 9)}-gke.{rng.randint(100, 2000)}",
            f"v{rng.randint(0, 3)}.{rng.randint(0, 60)}.{rng.randint(0, 9)}",
        ],
    )


def stamp(rng: Random) -> str:
    return pick(
        rng,
        [
            f"2026-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}T{rng.randint(0, 23):02}:"
            f"{rng.randint(0, 59):02}:{rng.randint(0, 59):02}Z",
            f"Tue Nov 24 {rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02} "
            "UTC 2026",
            str(1795400000 + rng.randrange(10**6)),
        ],
    )


def duration(rng: Random) -> str:
    return pick(
        rng,
        [
            f"{rng.randint(0, 5)}d {rng.randint(0, 23)}h {rng.randint(0, 59)}m "
            f"{rng.randint(0, 59)}s",
            f"{rng.randint(1, 999)}ms",
            f"{rng.randint(1, 59)}m{rng.randint(0, 59):02}s",
            f"{rng.random() * 10:.3f}s",
        ],
    )


def pod(rng: Random) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return (
        f"{pick(rng, ['api', 'payments-api', 'worker', 'checkout'])}-"
        f"{chars(rng, alphabet, rng.randint(9, 10))}-{chars(rng, alphabet, 5)}"
    )


def oid(rng: Random) -> str:
    return pick(
        rng,
        [
            "1.3.6.1.2.1.1.3.0",
            ".1.3.6.1.4.1.2021.10.1.3.1",
            f"1.3.6.1.2.1.2.2.1.{rng.randint(10, 16)}.{rng.randint(1, 48)}",
            "1.3.6.1.4.1.9.9.109.1.1.1.1.8.1",
        ],
    )


def perfdata(rng: Random) -> str:
    return pick(
        rng,
        [
            f"load1={rng.random() * 4:.3f};4.000;8.000;0; "
            f"load5={rng.random() * 4:.3f};4.000;8.000;0;",
            f"time={rng.random():.6f}s;1.000000;2.000000;0.000000;10.000000 "
            f"size={rng.randint(200, 90000)}B;;;0",
            f"/var={rng.randint(1000, 30000)}MB;28000;29000;0;31000",
            f"connections={rng.randint(1, 500)};400;480;0;500",
            f"rta={rng.random() * 50:.3f}ms;3000.000;5000.000;0; "
            f"pl={rng.randint(0, 100)}%;80;100;;",
        ],
    )


def plugin_output(rng: Random) -> str:
    """One line of Nagios plugin output, perfdata included."""
    return pick(
        rng,
        [
            lambda: (
                f"DISK WARNING - free space: /var {rng.randint(100, 9000)} MB "
                f"({rng.randint(1, 20)}% inode={rng.randint(50, 99)}%);| {perfdata(rng)}"
            ),
            lambda: (
                f"HTTP OK: HTTP/1.1 200 OK - {rng.randint(200, 90000)} bytes in "
                f"{rng.random():.3f} second response time |{perfdata(rng)}"
            ),
            lambda: (
                f"HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - {rng.randint(100, 900)} "
                f"bytes in {rng.random():.3f} second response time"
            ),
            lambda: (
                f"OK - load average: {rng.random() * 3:.2f}, {rng.random() * 3:.2f}, "
                f"{rng.random() * 3:.2f}|{perfdata(rng)}"
            ),
            lambda: (
                f"SNMP OK - {oid(rng)} = Timeticks: ({rng.randint(10**6, 10**9)}) "
                f"{rng.randint(1, 300)} days, {rng.randint(0, 23)}:{rng.randint(0, 59):02}:"
                f"{rng.randint(0, 59):02}.{rng.randint(0, 99):02}"
            ),
            lambda: f"CRITICAL - {rng.randint(400, 500)} of 500 connections used | {perfdata(rng)}",
            lambda: f"PROCS CRITICAL: {rng.randint(300, 900)} processes with args 'java'",
            lambda: (
                f"NTP OK: Offset {rng.random() / 100:.6f} secs|offset={rng.random() / 100:.6f}s;"
                "60.000000;120.000000;"
            ),
            lambda: (
                f"SSL_CERT WARNING - certificate 'www.example.com' expires in "
                f"{rng.randint(2, 29)} day(s) ({stamp(rng)})"
            ),
            lambda: (
                f"PING CRITICAL - Packet loss = {rng.randint(60, 100)}%, RTA = "
                f"{rng.random() * 90:.2f} ms|{perfdata(rng)}"
            ),
            lambda: (
                f"SWAP WARNING - {rng.randint(5, 30)}% free ({rng.randint(100, 900)} MB out of "
                "4096 MB) |swap=500MB;0;0;0;4096"
            ),
            lambda: (
                f"CHECK_NRPE STATE CRITICAL: Socket timeout after {rng.randint(10, 60)} seconds."
            ),
        ],
    )()


def log_line(rng: Random) -> str:
    return pick(
        rng,
        [
            lambda: (
                f"{stamp(rng)} INFO deployed build {version(rng)} "
                f"(git {chars(rng, HEX, 40)}) to {rng.randint(2, 12)} pods"
            ),
            lambda: (
                f"pod {pod(rng)} restarted {rng.randint(2, 9)} times in the last "
                f"{rng.randint(5, 60)}m (OOMKilled, limit 512Mi)"
            ),
            lambda: (
                f"request_id={uuid.UUID(int=rng.getrandbits(128), version=4)} "
                f"took {duration(rng)}, status 504"
            ),
            lambda: (
                f"file /var/lib/postgresql/16/main/pg_wal is {rng.randint(80, 99)}% full "
                f"({rng.randint(10, 90)} GiB)"
            ),
            lambda: (
                f"job nightly-backup finished in {duration(rng)}, {rng.randint(10**5, 10**7):,} "
                "rows, exit code 0"
            ),
            lambda: (
                f"replication lag {rng.random() * 30:.1f}s on replica {rng.randint(1, 3)} "
                f"(threshold 10s) since {stamp(rng)}"
            ),
            lambda: f"image sha256:{chars(rng, HEX, 64)} pulled in {duration(rng)}",
            lambda: (
                f"Java heap {rng.randint(1000, 2040)}M/2048M ({rng.randint(80, 99)}%), "
                f"GC pause {rng.randint(100, 3000)}ms"
            ),
            lambda: (
                f"upstream {pick(rng, PUBLIC_HOSTS)} answered HTTP/1.1 "
                f"{pick(rng, ['502 Bad Gateway', '429 Too Many Requests', '200 OK'])} after "
                f"{duration(rng)}"
            ),
            lambda: (
                f"commit {chars(rng, HEX, 7)} by the release bot bumped chart to {version(rng)}"
            ),
            lambda: f"temperature {rng.random() * 40 + 30:.1f} C on sensor {oid(rng)}",
            lambda: f"queue orders.dlq holds {rng.randint(1000, 90000)} messages (> 10000)",
            lambda: (
                f"kafka consumer group billing lag {rng.randint(1000, 10**6)} on partition "
                f"{rng.randint(0, 31)}"
            ),
        ],
    )()


def prose(rng: Random) -> str:
    return pick(
        rng,
        [
            "Escalate to the storage team if this persists for more than 30 minutes.",
            "See the runbook for the failover procedure; do not restart the primary by hand.",
            "Known issue after the 2.19 upgrade, fix scheduled for the next maintenance window.",
            "Customer-facing: checkout is degraded in the EU region.",
            f"Started {duration(rng)} ago; {rng.randint(2, 9)} similar alerts in the last week.",
        ],
    )


def long_output(rng: Random) -> str:
    return "\n".join(log_line(rng) for _ in range(rng.randint(1, 4)))


def message(rng: Random) -> str:
    lines = [plugin_output(rng) if rng.random() < 0.5 else log_line(rng)]
    lines += [log_line(rng) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.5:
        lines.append(prose(rng))
    return "\n".join(lines)


def title(rng: Random) -> str:
    return pick(rng, TITLES)


def service(rng: Random) -> str:
    return pick(rng, SERVICES)


def host(rng: Random) -> str:
    return pick(rng, PUBLIC_HOSTS)


def link(rng: Random) -> str:
    return pick(
        rng,
        [
            f"https://wiki.example.com/runbooks/{pick(rng, ['disk', 'postgres', 'latency'])}",
            f"https://grafana.example.com/d/{chars(rng, HEX, 9)}/api-latency?orgId=1&from=now-6h",
            f"https://app.logz.io/#/goto/{chars(rng, HEX, 16)}?switchToAccountId={digits(rng, 6)}",
        ],
    )


def text_for(rng: Random, slot: str, *, single_line: bool) -> str:
    """Benign text for a slot kind ("text", "name", "url", "host")."""
    if slot == "name":
        return pick(rng, [title, service])(rng)
    if slot == "url":
        return link(rng)
    if slot == "host":
        return host(rng)
    return (
        (plugin_output(rng) if rng.random() < 0.6 else log_line(rng))
        if single_line
        else (message(rng))
    )


# -------------------------------------------------------------------------------- grey zone

GREY_KINDS = ("wwn", "order_id")


def grey_text(rng: Random, kind: str) -> str:
    if kind == "wwn":
        wwn = ":".join(
            f"{b:02x}" for b in [0x50, 0x06, 0x01, *(rng.randrange(256) for _ in range(5))]
        )
        return pick(
            rng,
            [
                f"FC port 2 WWN {wwn} link down on fabric A",
                f"multipath: path to target {wwn} lun 4 failed",
            ],
        )
    number = str(rng.randint(10**15, 10**16 - 1))
    return pick(
        rng,
        [
            f"payment for order {number} declined by issuer (code 05)",
            f"shipment {number} stuck in state PENDING for 6h",
        ],
    )
