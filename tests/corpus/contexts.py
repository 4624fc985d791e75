"""Where a secret is planted: the text around it, in the syntax that text would have.

A context renders a `Secret` into a template (with `MARK` where the secret goes), the snippet
it writes there, and the encoding it applied (JSON escaping once or twice, URL encoding), so
that the values to look for are encoded the same way. Free-text contexts (log lines, stack
traces, SQL errors, Nagios plugin output, prose) write the secret inline; keyed contexts (env
dumps, YAML, Kubernetes manifests, HTTP headers, curl, query strings, logfmt, JSON) write it
as a key and a value in their own syntax.

Each slot of an alert has a kind: "text" (free text, `single_line` when the field cannot
hold a newline), "name" (a short title), "url" (a link) or "host" (a host name or address).
A small share of plantings get Unicode noise next to the secret: a non-breaking or narrow
space before it, a zero-width space, joiner or word joiner, or a byte-order mark beside it,
as text copied from chat tools and wikis carries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from urllib.parse import quote

from tests.corpus.model import MARK, Planted, Secret
from tests.corpus.secrets import KEY_HINTS, digits, pick

NOISE_SHARE = 0.05
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
WIDE_SPACES = ["\u00a0", "\u202f"]

Encode = Callable[[str], str]


def same(text: str) -> str:
    return text


def json_escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def json_escape_twice(text: str) -> str:
    return json_escape(json_escape(text))


def url_encode(text: str) -> str:
    return quote(text, safe="")


@dataclass(frozen=True)
class Rendering:
    template: str  # with MARK where the snippet goes, already encoded
    snippet: str  # already encoded
    encode: Encode  # what was applied to the snippet (and so to its values)


@dataclass(frozen=True)
class Context:
    name: str
    render: Callable[[Random, Secret], Rendering]
    accepts: Callable[[Secret], bool] = lambda secret: True


def inline(templates: list[str]) -> Callable[[Random, Secret], Rendering]:
    def render(rng: Random, secret: Secret) -> Rendering:
        template = pick(rng, templates).replace("{T}", timestamp(rng)).replace("{S}", MARK)
        return Rendering(template, secret.text, same)

    return render


def keyed(rng: Random, secret: Secret) -> tuple[str, str]:
    return secret.pair or (pick(rng, KEY_HINTS[secret.cls]), secret.text)


def timestamp(rng: Random) -> str:
    return (
        f"2026-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}T{rng.randint(0, 23):02}:"
        f"{rng.randint(0, 59):02}:{rng.randint(0, 59):02}.{digits(rng, 3)}Z"
    )


# --------------------------------------------------------------------- free-text contexts

LOG_LINES = [
    "{T} ERROR [pool-3-thread-7] c.e.payments.GatewayClient - upstream call failed: {S} "
    "(attempt 3/5)",
    "{T} WARN  worker[4411]: retrying job 8812 after error: {S}",
    '{T} level=error msg="connection refused" detail="{S}"',
    "[{T}] production.ERROR: Unhandled exception while syncing account: {S}",
    "{T} nginx[912]: *48211 upstream sent invalid header while reading response header from "
    'upstream, request: "GET /api/v2/orders HTTP/1.1", {S}',
    "{T} systemd[1]: backup.service: Failed with result 'exit-code'. Last output: {S}",
    "{T} kubelet: Error syncing pod api-7d9f8b6c4-x2x9z, skipping: {S}",
]
JAVA_TRACES = [
    "org.postgresql.util.PSQLException: FATAL: could not connect: {S}\n"
    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl("
    "ConnectionFactoryImpl.java:346)\n"
    "\tat org.postgresql.Driver.makeConnection(Driver.java:443)\n"
    "\tat com.zaxxer.hikari.pool.PoolBase.newConnection(PoolBase.java:364)\n"
    "\t... 42 more",
    "java.lang.IllegalStateException: refusing to start with configuration {S}\n"
    "\tat com.example.billing.Config.validate(Config.java:88)\n"
    "\tat com.example.billing.Application.main(Application.java:31)",
    "Caused by: feign.FeignException$Unauthorized: [401 Unauthorized] during [POST] to "
    "[https://api.example.com/v1/charges] [ChargesClient#create(Charge)]: [{S}]\n"
    "\tat feign.FeignException.clientErrorStatus(FeignException.java:222)",
]
PYTHON_TRACES = [
    "Traceback (most recent call last):\n"
    '  File "/srv/app/worker.py", line 88, in run\n'
    "    client = connect(settings.BROKER)\n"
    '  File "/usr/lib/python3.11/site-packages/kombu/connection.py", line 276, in connect\n'
    "    return self._ensure_connection(max_retries=1, reraise_as_library_errors=False)\n"
    "kombu.exceptions.OperationalError: cannot connect with {S}",
    "Traceback (most recent call last):\n"
    '  File "/opt/jobs/export.py", line 141, in <module>\n'
    "    main()\n"
    "ValueError: unexpected value in row 1532: {S}",
]
SQL_ERRORS = [
    'ERROR:  duplicate key value violates unique constraint "customers_contact_key"\n'
    "DETAIL:  Key (contact)=({S}) already exists.\n"
    "STATEMENT:  INSERT INTO customers (contact, created_at) VALUES ($1, now())",
    "ERROR 1062 (23000) at line 17: Duplicate entry '{S}' for key 'accounts.uniq_ref'",
    'ERROR:  invalid input syntax for type uuid: "{S}"\nCONTEXT:  COPY staging, line 88',
    'ORA-12899: value too large for column "APP"."CUSTOMERS"."NOTE" (actual: 412, '
    "maximum: 255); value: {S}",
]
NAGIOS_OUTPUTS = [
    "CRITICAL - {S} | time=0.123s;1.000;2.000;0.000;10.000 size=512B;;;0",
    "HTTP CRITICAL: HTTP/1.1 401 Unauthorized - 312 bytes in 0.045 second response time - {S} "
    "|time=0.045185s;;;0.000000 size=312B;;;0",
    "PROCS WARNING: 3 processes with args '{S}' | procs=3;2:2;1:3;0;",
    "CHECK_NRPE: Error - {S}",
    "UNKNOWN - plugin output could not be parsed: {S}",
    "LOG CRITICAL - 4 matches in /var/log/app/error.log, last: {S} | matches=4;1;3;0;",
]
PROSE = [
    "Deploy of checkout 2.19.5.57 failed at step 4 because {S} was rejected upstream; rolled "
    "back to 2.19.5.56.",
    "Customer reported the export at 09:14 included {S} in the CSV header, see ticket 48211.",
    "On-call note: rotated the credential after {S} appeared in the worker logs.",
    "Synthetic check for the login flow failed; the response echoed {S} back to the client.",
]
SHORT = [
    "{S}",
    "{S}",
    "Disk space low on {S}",
    "HTTP check failed for {S}",
    "[FIRING:1] TargetDown ({S})",
    "Login failures for {S}",
    "Replication lag on {S}",
]


def not_pem(secret: Secret) -> bool:
    return secret.cls != "pem_private_key" or secret.form == "k8s_base64"


# --------------------------------------------------------------------------- keyed contexts

ENV_LINES = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
    "LANG=C.UTF-8",
    "HOME=/home/app",
    "HOSTNAME=api-7d9f8b6c4-x2x9z",
    "TZ=UTC",
    "LOG_LEVEL=info",
    "JAVA_OPTS=-Xms512m -Xmx2048m",
    "APP_VERSION=2.19.5.57",
    "SHLVL=1",
]


def env_key(key: str) -> str:
    """`SecretAccessKey`, `x-api-key`, `db.password` → `SECRET_ACCESS_KEY`, `X_API_KEY`, ..."""
    return re.sub(r"[^A-Za-z0-9]", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)).upper()


def env_dump(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    lines = rng.sample(ENV_LINES, 4)
    lines.insert(rng.randint(0, 4), f"{env_key(key)}={MARK}")
    head = pick(rng, ["environment at crash:\n", "$ env\n", ""])
    return Rendering(head + "\n".join(lines), value.replace("\n", "\\n"), same)


def yaml_scalar(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./+=-][A-Za-z0-9_./+=@:-]*", value) and ": " not in value:
        return MARK
    return f"'{MARK}'" if '"' in value else f'"{MARK}"'


def yaml_value(value: str, indent: str) -> tuple[str, str]:
    """(template piece after `key: `, snippet), block style for multi-line values."""
    if "\n" in value:
        return f"|\n{indent}  {MARK}", value.replace("\n", f"\n{indent}  ")
    return yaml_scalar(value), value


def yaml_config(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    piece, snippet = yaml_value(value, "  ")
    section = pick(rng, ["database", "upstream", "notifications", "storage", "auth"])
    template = (
        f"# /etc/app/config.yaml\n{section}:\n  enabled: true\n  timeout: 30s\n"
        f"  {key}: {piece}\n  retries: 3\nlogging:\n  level: info"
    )
    return Rendering(template, snippet, same)


ENV_NAMED = frozenset({"secret_assignment", "aws_access_key"})


def k8s_manifest(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    if secret.form == "k8s_base64":
        template = (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ingress-tls\n"
            "  namespace: payments\ntype: kubernetes.io/tls\ndata:\n"
            f"  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMK\n  {key}: {MARK}"
        )
        return Rendering(template, value, same)
    # An env var's name sits on the line above its value: only names that stay meaningful
    # as env vars (secret-sounding ones, or a secret that needs no label) go there.
    if rng.random() < 0.5 or (secret.pair and secret.cls not in ENV_NAMED):
        piece, snippet = yaml_value(value, "  ")
        template = (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-credentials\n"
            f"  namespace: {pick(rng, ['payments', 'default', 'ops'])}\ntype: Opaque\n"
            f"stringData:\n  {key}: {piece}"
        )
        return Rendering(template, snippet, same)
    piece, snippet = yaml_value(value, "              ")
    template = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        "  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: api\n"
        "          image: registry.example.com/api:2.19.5\n          env:\n"
        "            - name: LOG_LEVEL\n              value: info\n"
        f"            - name: {env_key(key)}\n              value: {piece}"
    )
    return Rendering(template, snippet, same)


def header_case(key: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in re.split(r"[_.-]", key))


def http_headers(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    name = key if secret.pair else header_case(key)
    lines = [
        f"{pick(rng, ['POST', 'GET', 'PUT'])} /api/v2/{pick(rng, ['charges', 'orders'])} HTTP/1.1",
        "Host: api.example.com",
        "User-Agent: okhttp/4.12.0",
        "Accept: application/json",
        "Content-Type: application/json",
    ]
    lines.insert(rng.randint(2, 5), f"{name}: {MARK}")
    head = pick(rng, ["request headers:\n", "> ", ""])
    return Rendering(head + "\n".join(lines), value, same)


def curl(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    url = pick(rng, ["https://api.example.com/v1/hooks", "https://status.example.org/api/ping"])
    if secret.text.startswith(("http://", "https://")):
        template = f"curl -fsSL --retry 3 '{MARK}'"
        return Rendering(template, secret.text, same)
    if secret.pair and secret.cls == "bearer":
        template = f"curl -sS -X POST -H 'Content-Type: application/json' -H '{MARK}' {url}"
        return Rendering(template, f"{key}: {value}", same)
    if rng.random() < 0.5:
        template = f'curl -sS -H "{header_case(key)}: {MARK}" {url}'
        return Rendering(template, value, same)
    template = f'curl -sS -X POST {url} -d \'{{"{key}": "{MARK}", "dry_run": false}}\''
    return Rendering(template, value, same)


def url_query(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    host = pick(rng, ["app.example.com", "portal.example.org", "grafana.example.net"])
    path = pick(rng, ["oauth/callback", "api/export", "d/abc123/latency", "reset"])
    before = pick(rng, ["state=af0ifjsldkj&", "orgId=1&", "", "page=2&"])
    after = pick(rng, ["&format=csv", "&lang=en", ""])
    template = f"https://{host}/{path}?{before}{quote(key)}={MARK}{after}"
    if rng.random() < 0.4:
        template = (
            f"{pick(rng, ['GET', 'POST'])} /{path}?{before}{quote(key)}={MARK}{after} HTTP/1.1"
        )
    return Rendering(template, url_encode(value), url_encode)


def logfmt(rng: Random, secret: Secret) -> Rendering:
    key, value = keyed(rng, secret)
    value = value.replace("\n", "\\n")
    slot = f'"{MARK}"' if " " in value else MARK
    template = (
        f"ts={timestamp(rng)} level=error caller=client.go:{rng.randint(10, 400)} "
        f'{re.sub(r"[^A-Za-z0-9_.-]", "_", key)}={slot} msg="request rejected"'
    )
    return Rendering(template, value, same)


def json_in_string(times: int) -> Callable[[Random, Secret], Rendering]:
    encode = json_escape if times == 1 else json_escape_twice

    def render(rng: Random, secret: Secret) -> Rendering:
        key, value = keyed(rng, secret)
        inner = json.dumps(
            {
                "level": "error",
                "event": pick(rng, ["login", "sync", "charge"]),
                key: MARK,
                "ok": False,
            },
            ensure_ascii=False,
        )
        if times == 2:
            inner = json.dumps({"log": inner, "stream": "stderr"}, ensure_ascii=False)
        head = pick(rng, ["request body: ", "event=", "payload "])
        return Rendering(head + json_escape(inner), encode(value), encode)

    return render


def bare(rng: Random, secret: Secret) -> Rendering:
    return Rendering(MARK, secret.text, same)


def is_url(secret: Secret) -> bool:
    return secret.text.startswith(("http://", "https://"))


HOST_FORMS = {
    "internal_hostname": None,
    "ipv4": ("dotted", "dashed_host"),
    "ipv6": ("compressed", "full"),
}


def fits_host(secret: Secret) -> bool:
    if secret.cls not in HOST_FORMS:
        return False
    forms = HOST_FORMS[secret.cls]
    return forms is None or secret.form in forms


TEXT_CONTEXTS = (
    Context("log_line", inline(LOG_LINES)),
    Context("java_stack_trace", inline(JAVA_TRACES)),
    Context("python_traceback", inline(PYTHON_TRACES)),
    Context("sql_error", inline(SQL_ERRORS), not_pem),
    Context("nagios_plugin", inline(NAGIOS_OUTPUTS)),
    Context("prose", inline(PROSE), not_pem),
    Context("env_dump", env_dump),
    Context("yaml", yaml_config),
    Context("k8s_manifest", k8s_manifest),
    Context("http_headers", http_headers, not_pem),
    Context("curl", curl, not_pem),
    Context("url_query", url_query, not_pem),
    Context("key_value", logfmt),
    Context("json_escaped_once", json_in_string(1)),
    Context("json_escaped_twice", json_in_string(2)),
)
NAME_CONTEXTS = (
    Context("short_title", inline(SHORT), lambda s: not_pem(s) and "\n" not in s.text),
)
URL_CONTEXTS = (Context("url_query", url_query, not_pem), Context("bare_url", bare, is_url))
HOST_CONTEXTS = (Context("bare_host", bare, fits_host),)
CONTEXTS_BY_SLOT = {
    "text": TEXT_CONTEXTS,
    "name": NAME_CONTEXTS,
    "url": URL_CONTEXTS,
    "host": HOST_CONTEXTS,
}


def can_fill(slot: str, secret: Secret) -> bool:
    return any(context.accepts(secret) for context in CONTEXTS_BY_SLOT[slot])


def add_noise(rng: Random, template: str) -> str:
    at = template.index(MARK)
    choice = rng.randrange(3)
    if choice == 0 and at > 0 and template[at - 1] == " ":
        return template[: at - 1] + pick(rng, WIDE_SPACES) + template[at:]
    if choice == 1:
        return template.replace(MARK, MARK + pick(rng, ZERO_WIDTH))
    return template.replace(MARK, pick(rng, ZERO_WIDTH) + MARK)


def plant(
    rng: Random, secret: Secret, slot: str, field: str, *, single_line: bool = False
) -> tuple[str, Planted]:
    """Render `secret` in a context fitting `slot`; the field's text and the planted record."""
    context = pick(rng, [c for c in CONTEXTS_BY_SLOT[slot] if c.accepts(secret)])
    rendering = context.render(rng, secret)
    template, snippet = rendering.template, rendering.snippet
    if rng.random() < NOISE_SHARE:
        template = add_noise(rng, template)
    if single_line:
        template, snippet = template.replace("\n", "\\n"), snippet.replace("\n", "\\n")
    text = template.replace(MARK, snippet)
    values = tuple(rendering.encode(value) for value in secret.values)
    missing = [value for value in values if value not in snippet]
    if missing:
        raise AssertionError(f"generator bug: {secret.cls}/{secret.form} in {context.name}")
    planted = Planted(secret.cls, secret.form, context.name, field, values, template)
    return text, planted
