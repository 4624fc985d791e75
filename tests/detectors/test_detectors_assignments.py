"""`secret_assignment` replaces the value given to a secret-sounding name, in every syntax
alerts carry, keeps the name readable, leaves benign look-alikes alone, and finds at least
what the shipped policies' hand-written key=value pattern found."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.detectors.prefilter import Prefilter
from tests.detectors.helpers import assert_linear

DETECTOR = DETECTORS["secret_assignment"]
find = DETECTOR.find
scrub = Scrubber(["secret_assignment"])


def scrubbed(text: str) -> str:
    return scrub(text)[0]


def test_the_detector_is_registered_with_its_label_and_a_summary():
    assert DETECTOR.name == "secret_assignment"
    assert DETECTOR.label == "[SECRET]"
    assert DETECTOR.summary and "\n" not in DETECTOR.summary


# --- Generated names x syntaxes x contexts x values ------------------------------------------

# Secret names as words; every separator style below keeps them secret.
BASE_NAMES = [
    ["password"],
    ["passwd"],
    ["pwd"],
    ["pass"],
    ["passphrase"],
    ["secret"],
    ["client", "secret"],
    ["webhook", "secret"],
    ["token"],
    ["access", "token"],
    ["refresh", "token"],
    ["id", "token"],
    ["auth", "token"],
    ["oauth", "token"],
    ["api", "key"],
    ["x", "api", "key"],
    ["private", "key"],
    ["secret", "key"],
    ["access", "key"],
    ["secret", "access", "key"],
    ["account", "key"],
    ["encryption", "key"],
    ["credentials"],
    ["auth"],
    ["session", "id"],
    ["pgpassword"],
    ["mysql", "pwd"],
    ["rediscli", "auth"],
    ["bind", "pw"],
    ["signature"],
]
PREFIXES = [[], ["db"], ["app"], ["github"], ["x"], ["my", "app"]]
SUFFIXES = [[], ["2"], ["prod"], ["new"]]


def join_words(words: list[str], style: str) -> str:
    if style == "camel":
        return words[0] + "".join(word.capitalize() for word in words[1:])
    if style == "upper":
        return "_".join(words).upper()
    if style == "title-dash":
        return "-".join(word.capitalize() for word in words)
    return style.join(words)


name_words = st.builds(
    lambda prefix, base, suffix: prefix + base + suffix,
    st.sampled_from(PREFIXES),
    st.sampled_from(BASE_NAMES),
    st.sampled_from(SUFFIXES),
)
styles = st.sampled_from(["_", "-", ".", "camel", "upper", "title-dash"])
secret_names = st.builds(join_words, name_words, styles)
# `name 'value'` with a space between is an assignment for passwords, tokens and keys only:
# Kubernetes says `secret "db-creds" not found`, naming a secret, not showing it.
spaced_names = st.builds(
    join_words,
    name_words.filter(lambda words: re.search(r"pass|pw|token|key", "_".join(words))),
    styles,
)
env_names = name_words.map(lambda words: join_words(words, "upper"))
flag_names = name_words.map(lambda words: join_words(words, "-"))

# Every value opens with a marker that nothing else in the text holds: it is no placeholder,
# not all digits, and easy to look for.
MARK = "Zq7"
UNQUOTED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#%^*+/=:.~_-?|"
QUOTED = UNQUOTED + " ,;&()[]{}<>$"
unquoted_values = st.text(UNQUOTED, max_size=24).map(lambda tail: MARK + tail)
double_quoted_values = st.text(QUOTED + "'", max_size=24).map(lambda tail: MARK + tail)
single_quoted_values = st.text(QUOTED + '"', max_size=24).map(lambda tail: MARK + tail)
json_values = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=24).map(
    lambda tail: MARK + tail
)
xml_values = st.text(QUOTED.replace("<", "").replace(">", ""), max_size=24).map(
    lambda tail: (MARK + tail).rstrip()
)


def escape(text: str, times: int) -> str:
    """`text` as it reads inside a JSON string, `times` times over (escaping is per character,
    so pieces escaped apart concatenate to the whole escaped)."""
    for _ in range(times):
        text = json.dumps(text)[1:-1]
    return text


def json_pieces(name: str, value: str, times: int) -> tuple[str, str, str]:
    return (
        escape('{"' + name + '": "', times),
        escape(json.dumps(value)[1:-1], times),
        escape('", "user": "nagios"}', times),
    )


# A syntax: (names, values, lays out (before, value as written, after), owns its line).
Layout = Callable[[str, str], tuple[str, str, str]]
SYNTAXES: dict[str, tuple[st.SearchStrategy[str], st.SearchStrategy[str], Layout, bool]] = {
    "k=v": (secret_names, unquoted_values, lambda k, v: (f"{k}=", v, ""), False),
    "k = v": (secret_names, unquoted_values, lambda k, v: (f"{k} = ", v, ""), False),
    "k: v": (secret_names, unquoted_values, lambda k, v: (f"{k}: ", v, ""), False),
    "k:v": (secret_names, unquoted_values, lambda k, v: (f"{k}:", v, ""), False),
    "k := v": (secret_names, unquoted_values, lambda k, v: (f"{k} := ", v, ""), False),
    'k="v"': (secret_names, double_quoted_values, lambda k, v: (f'{k}="', v, '"'), False),
    "k='v'": (secret_names, single_quoted_values, lambda k, v: (f"{k}='", v, "'"), False),
    '"k":"v"': (secret_names, json_values, lambda k, v: json_pieces(k, v, 0), False),
    '{\\"k\\": \\"v\\"}': (secret_names, json_values, lambda k, v: json_pieces(k, v, 1), False),
    "twice escaped": (secret_names, json_values, lambda k, v: json_pieces(k, v, 2), False),
    "'k': 'v'": (
        secret_names,
        single_quoted_values,
        lambda k, v: (f"{{'{k}': '", v, "', 'user': 'x'}"),
        False,
    ),
    ":k => 'v'": (secret_names, single_quoted_values, lambda k, v: (f":{k} => '", v, "'"), False),
    "k => v": (secret_names, unquoted_values, lambda k, v: (f"{k} => ", v, ""), False),
    "<k>v</k>": (secret_names, xml_values, lambda k, v: (f"<{k}>", v, f"</{k}>"), False),
    '<k attr="x">v</k>': (
        secret_names,
        xml_values,
        lambda k, v: (f'<{k} type="plain">', v, f"</{k}>"),
        False,
    ),
    "--k v": (flag_names, unquoted_values, lambda k, v: (f"--{k} ", v, ""), False),
    "--k=v": (flag_names, unquoted_values, lambda k, v: (f"--{k}=", v, ""), False),
    '--k "v"': (flag_names, double_quoted_values, lambda k, v: (f'--{k} "', v, '"'), False),
    '["--k", "v"]': (
        flag_names,
        double_quoted_values,
        lambda k, v: (f'["--{k}", "', v, '"]'),
        False,
    ),
    "k 'v'": (spaced_names, single_quoted_values, lambda k, v: (f"set {k} '", v, "'"), False),
    "k('v')": (spaced_names, single_quoted_values, lambda k, v: (f"{k}('", v, "')"), False),
    "&k=v&": (secret_names, unquoted_values, lambda k, v: (f"/cb?user=x&{k}=", v, "&y=1"), False),
    ";k=v;": (secret_names, unquoted_values, lambda k, v: (f"jdbc:x://db;{k}=", v, ";a=b"), False),
    "export K='v'": (
        env_names,
        single_quoted_values,
        lambda k, v: (f"export {k}='", v, "'"),
        False,
    ),
    '"K=v w"': (env_names, double_quoted_values, lambda k, v: (f'["{k}=', v, '", "X=1"]'), False),
    "env dump": (
        env_names,
        double_quoted_values,
        lambda k, v: (f"HOSTNAME=web01\n{k}=", v.strip(), "\nSHLVL=1"),
        True,
    ),
    "K=v command": (env_names, unquoted_values, lambda k, v: (f"{k}=", v, " psql -h db"), True),
    "yaml k: v": (secret_names, unquoted_values, lambda k, v: (f"  {k}: ", v, ""), True),
    'yaml k: "v"': (secret_names, double_quoted_values, lambda k, v: (f'  {k}: "', v, '"'), True),
    "yaml k:\\n  v": (
        secret_names,
        unquoted_values.filter(lambda v: not v.endswith(":")),  # else a key: `password:\n  a:`
        lambda k, v: (f"{k}:\n    ", v, ""),
        True,
    ),
    "yaml k: |": (
        secret_names,
        double_quoted_values.map(str.strip),
        lambda k, v: (f"{k}: |\n  ", v, ""),
        True,
    ),
    "kubernetes env": (
        env_names,
        unquoted_values,
        lambda k, v: (f"env:\n- name: {k}\n  value: ", v, ""),
        True,
    ),
    "kubernetes env quoted": (
        env_names,
        double_quoted_values,
        lambda k, v: (f'  - name: {k}\n    value: "', v, '"'),
        True,
    ),
    "ECS env": (
        env_names,
        json_values,
        lambda k, v: (f'[{{"name": "{k}", "value": "', escape(v, 1), '"}]'),
        False,
    ),
    "<add key value>": (
        secret_names,
        double_quoted_values.map(lambda v: v.replace("<", "").replace(">", "")),
        lambda k, v: (f'<add key="{k}" value="', v, '"/>'),
        False,
    ),
    "<property name>v<": (
        secret_names,
        xml_values,
        lambda k, v: (f'<property name="{k}">', v, "</property>"),
        False,
    ),
}
# (prefix, suffix) around a syntax; owns-its-line syntaxes get the line-bounded ones.
CONTEXTS = [
    ("", ""),
    ("CRITICAL - login failed: ", " | time=0.5s;1;2;0;"),
    ("msg=", ", status=2"),
    ("2024-05-01T10:00:00Z app[123]: ERROR ", "\n\tat com.example.Db.open(Db.java:42)"),
    ("(", ")"),
    ("[", "]"),
    ('{"output": "', '"}'),
]
LINE_CONTEXTS = [("", ""), ("---\n", "\n"), ("apiVersion: v1\nkind: Pod\n", "\nnext: 1\n")]


@st.composite
def assignments(draw: st.DrawFn) -> tuple[str, str, str]:
    """(text, the text expected after scrubbing, the value as written)."""
    syntax = draw(st.sampled_from(sorted(SYNTAXES)))
    names, values, layout, owns_line = SYNTAXES[syntax]
    before, value, after = layout(draw(names), draw(values))
    prefix, suffix = draw(st.sampled_from(LINE_CONTEXTS if owns_line else CONTEXTS))
    if prefix.endswith('"') and suffix.startswith('"'):  # inside a JSON string
        before, value, after = escape(before, 1), escape(value, 1), escape(after, 1)
    text = prefix + before + value + after + suffix
    return text, prefix + before + "[SECRET]" + after + suffix, value


@given(assignments())
@example(("password=hunter2", "password=[SECRET]", "hunter2"))
@example(('{\\"password\\": \\"x y\\"}', '{\\"password\\": \\"[SECRET]\\"}', "x y"))
def test_every_generated_assignment_loses_its_value_and_keeps_its_name(case):
    text, expected, value = case
    assert scrubbed(text) == expected, value


@given(assignments(), assignments())
def test_two_assignments_in_one_alert_are_both_replaced(first, second):
    text, expected = first[0] + "\n\n" + second[0], first[1] + "\n\n" + second[1]
    assert scrubbed(text) == expected


@given(assignments())
def test_a_scrubbed_text_holds_nothing_the_detector_finds_again(case):
    text, _, _ = case
    assert find(scrubbed(text)) == []


@given(assignments())
def test_spans_are_ascending_non_overlapping_and_inside_the_text(case):
    text, _, _ = case
    spans = find(text)
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


any_text = st.one_of(
    assignments().map(lambda case: case[0]),
    st.text(st.sampled_from("pPaAsSwWdDtTkKeEyYoOnN=:\"' \n-_<>\u0131\u0130\u017f\u212a")),
)


@given(any_text)
@example("s\u0131g=abc \u0130DENTIFIED BY 'x' mar\u0131adb -pX")
def test_the_anchors_hold_wherever_the_detector_finds_something(text):
    if find(text):
        assert 0 in Prefilter([DETECTOR.anchors]).candidates(text)


# --- Realistic alerts -------------------------------------------------------------------------

REALISTIC = [
    # Nagios check_mysql / check_pgsql output and command lines
    (
        "CRITICAL - Access denied for user 'nagios'@'10.0.0.5' (using password: YES)",
        "CRITICAL - Access denied for user 'nagios'@'10.0.0.5' (using password: YES)",
    ),
    (
        "/usr/lib/nagios/plugins/check_mysql -H db01 -u nagios -p S3cr3t! -d app",
        "/usr/lib/nagios/plugins/check_mysql -H db01 -u nagios -p [SECRET] -d app",
    ),
    (
        "mysql -h db01 -u root -pS3cr3t! -e 'SHOW SLAVE STATUS' failed",
        "mysql -h db01 -u root -p[SECRET] -e 'SHOW SLAVE STATUS' failed",
    ),
    (
        "mysqldump --user=backup --password='x y z' --all-databases: exit 2",
        "mysqldump --user=backup --password='[SECRET]' --all-databases: exit 2",
    ),
    ("sshpass -p 'hunter2' ssh -p 22 nagios@db01", "sshpass -p '[SECRET]' ssh -p 22 nagios@db01"),
    ("redis-cli -h cache01 -a Sup3rS3cret PING", "redis-cli -h cache01 -a [SECRET] PING"),
    (
        "PGPASSWORD=Tr0ub4dor psql -h db01 -U nagios -c 'select 1'",
        "PGPASSWORD=[SECRET] psql -h db01 -U nagios -c 'select 1'",
    ),
    (
        "MYSQL_PWD=hunter2 REDISCLI_AUTH=abc123 mysql -e 'select 1'",
        "MYSQL_PWD=[SECRET] REDISCLI_AUTH=[SECRET] mysql -e 'select 1'",
    ),
    # psql and SQL errors
    (
        'psql: error: connection to server at "db01" (10.0.0.7), port 5432 failed: FATAL:  '
        'password authentication failed for user "nagios"',
        'psql: error: connection to server at "db01" (10.0.0.7), port 5432 failed: FATAL:  '
        'password authentication failed for user "nagios"',
    ),
    (
        "ERROR:  syntax error at end of input LINE 1: ALTER ROLE app WITH PASSWORD 'n3w p4ss'",
        "ERROR:  syntax error at end of input LINE 1: ALTER ROLE app WITH PASSWORD '[SECRET]'",
    ),
    (
        "ERROR 1396 (HY000): Operation CREATE USER failed for 'app'@'%' IDENTIFIED BY 'pa ss'",
        "ERROR 1396 (HY000): Operation CREATE USER failed for 'app'@'%' IDENTIFIED BY '[SECRET]'",
    ),
    (
        "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'x1';",
        "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY '[SECRET]';",
    ),
    ("CREATE USER scott IDENTIFIED BY tiger;", "CREATE USER scott IDENTIFIED BY [SECRET];"),
    # curl command lines and HTTP headers
    (
        "curl -s -H 'X-Api-Key: 8f14e45fceea167a' https://api.example.com/v1/status",
        "curl -s -H 'X-Api-Key: [SECRET]' https://api.example.com/v1/status",
    ),
    (
        'curl -H "X-Auth-Token: abc.def-123" -H "Cookie: sessionid=9f8e7d; csrftoken=77aa" '
        "https://app.example.com/health",
        'curl -H "X-Auth-Token: [SECRET]" -H "Cookie: [SECRET]" https://app.example.com/health',
    ),
    (
        "curl 'https://hooks.example.com/cb?client_id=web&client_secret=s3cr3t&state=ok'",
        "curl 'https://hooks.example.com/cb?client_id=web&client_secret=[SECRET]&state=ok'",
    ),
    ("Cookie: JSESSIONID=1A2B3C4D; theme=dark", "Cookie: [SECRET]"),
    ("Set-Cookie: session=eyJhbGciOi.x.y; Path=/; HttpOnly", "Set-Cookie: [SECRET]"),
    ("GET /login?user=bob&sig=Zm9vYmFy%3D&t=1", "GET /login?user=bob&sig=[SECRET]&t=1"),
    # Java stack traces with JDBC URLs
    (
        "org.postgresql.util.PSQLException: Connection refused\n"
        "\tat org.postgresql.Driver.connect(Driver.java:285)\n"
        "Caused by: jdbc:sqlserver://db01:1433;databaseName=app;user=sa;password=P@ss w;"
        "encrypt=true",
        "org.postgresql.util.PSQLException: Connection refused\n"
        "\tat org.postgresql.Driver.connect(Driver.java:285)\n"
        "Caused by: jdbc:sqlserver://db01:1433;databaseName=app;user=sa;password=[SECRET] w;"
        "encrypt=true",
    ),
    (
        "java.sql.SQLException: Access denied; url=jdbc:mysql://db:3306/app?user=app&password=S3cret&useSSL=false",
        "java.sql.SQLException: Access denied; url=jdbc:mysql://db:3306/app?user=app&password=[SECRET]&useSSL=false",
    ),
    (
        "Exception in thread main: invalid token:\n    at com.example.Auth.check(Auth.java:10)",
        "Exception in thread main: invalid token:\n    at com.example.Auth.check(Auth.java:10)",
    ),
    # docker env dumps and shell
    (
        "DB_HOST=db01\nDB_PASSWORD=correct horse battery\nPATH=/usr/bin\nPWD=/srv/app",
        "DB_HOST=db01\nDB_PASSWORD=[SECRET]\nPATH=/usr/bin\nPWD=/srv/app",
    ),
    (
        '"Env": ["DB_PASSWORD=x y z", "API_KEY=abc123", "PATH=/usr/local/bin"]',
        '"Env": ["DB_PASSWORD=[SECRET]", "API_KEY=[SECRET]", "PATH=/usr/local/bin"]',
    ),
    ("export GITHUB_TOKEN='ghp x'; make deploy", "export GITHUB_TOKEN='[SECRET]'; make deploy"),
    ("DB_PASSWORD=\nHOME=/root", "DB_PASSWORD=\nHOME=/root"),
    # Kubernetes manifests and YAML
    (
        "env:\n- name: DB_PASSWORD\n  value: s3cret value\n- name: DB_HOST\n  value: db01\n"
        "- name: API_TOKEN\n  valueFrom:\n    secretKeyRef: {name: app, key: token}\n",
        "env:\n- name: DB_PASSWORD\n  value: [SECRET]\n- name: DB_HOST\n  value: db01\n"
        "- name: API_TOKEN\n  valueFrom:\n    secretKeyRef: {name: app, key: token}\n",
    ),
    (
        'apiVersion: v1\nkind: Secret\nstringData:\n  password: "x y"\n  token: abc123 # rotated\n',
        'apiVersion: v1\nkind: Secret\nstringData:\n  password: "[SECRET]"\n'
        "  token: [SECRET] # rotated\n",
    ),
    (
        "volumes:\n- name: certs\n  secret:\n    secretName: app-tls\n",
        "volumes:\n- name: certs\n  secret:\n    secretName: app-tls\n",
    ),
    (
        "database:\n  password:\n    hunter2\n  private_key: |\n    MIIEvQIBADANBg\n",
        "database:\n  password:\n    [SECRET]\n  private_key: |\n    [SECRET]\n",
    ),
    (
        "helm upgrade app ./chart --set db.password=s3cret --set-string auth.token=abc",
        "helm upgrade app ./chart --set db.password=[SECRET] --set-string auth.token=[SECRET]",
    ),
    # config files and code in log lines
    (
        "requirepass foobared\nmasterauth foobared2\nbindpw cn=x",
        "requirepass [SECRET]\nmasterauth [SECRET]\nbindpw [SECRET]",
    ),
    # prefixes and encodings glued on without a separator (found by the recall corpus)
    (
        "mysqlpwdb64=c2VjcmV0 REDISPASS=Hunter2xyz apppass2: S3cr3t!x privatekeyb64: QUJD",
        "mysqlpwdb64=[SECRET] REDISPASS=[SECRET] apppass2: [SECRET] privatekeyb64: [SECRET]",
    ),
    (
        "bypass=true compass=north passenger=bob tokenizer=bert",
        "bypass=true compass=north passenger=bob tokenizer=bert",
    ),
    (
        '<connectionStrings><add name="Db" connectionString="Server=db;Password=p w;"/>'
        '<add key="ApiKey" value="abc"/></connectionStrings>',
        '<connectionStrings><add name="Db" connectionString="[SECRET]"/>'
        '<add key="ApiKey" value="[SECRET]"/></connectionStrings>',
    ),
    (
        '<property name="password">hunter 2</property><password>x</password>',
        '<property name="password">[SECRET]</property><password>[SECRET]</password>',
    ),
    (
        "config = {'user': 'app', 'password': 'it''s'}",
        "config = {'user': 'app', 'password': '[SECRET]''s'}",
    ),
    (":password => 'secret sauce', :host => 'db'", ":password => '[SECRET]', :host => 'db'"),
    ("userPassword: {SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "userPassword: [SECRET]"),
    ("auth_token: Bearer abc.def", "auth_token: [SECRET]"),
    (
        "keytool -importkeystore -srcstorepass chang3it -deststorepass 'n3w one'",
        "keytool -importkeystore -srcstorepass [SECRET] -deststorepass '[SECRET]'",
    ),
    (
        "AccountName=store1;AccountKey=abc+def==;EndpointSuffix=core.windows.net",
        "AccountName=store1;AccountKey=[SECRET];EndpointSuffix=core.windows.net",
    ),
    (
        "GET /a?X-Amz-Credential=AKIAX%2F20240101&X-Amz-Security-Token=FQo&X-Amz-Signature=9f",
        "GET /a?X-Amz-Credential=[SECRET]&X-Amz-Security-Token=[SECRET]&X-Amz-Signature=[SECRET]",
    ),
    # JSON inside a string, escaped once and twice, values with spaces, quotes and backslashes
    (
        '{"message": "login {\\"user\\": \\"bob\\", \\"password\\": \\"a \\\\\\"b\\\\\\" c\\"}"}',
        '{"message": "login {\\"user\\": \\"bob\\", \\"password\\": \\"[SECRET]\\"}"}',
    ),
    (
        '"{\\\\\\"api_key\\\\\\": \\\\\\"k e y\\\\\\"}"',
        '"{\\\\\\"api_key\\\\\\": \\\\\\"[SECRET]\\\\\\"}"',
    ),
    (
        "POST /api/checkout?session=0a1b2c3d4e5f failed",
        "POST /api/checkout?session=[SECRET] failed",
    ),
]


@pytest.mark.parametrize(("text", "expected"), REALISTIC)
def test_realistic_alert_text(text, expected):
    assert scrubbed(text) == expected


BENIGN = [
    "OK - load average: 0.12, 0.08, 0.05|load1=0.120;5.000;10.000;0; load5=0.080;4.000;6.000;0;",
    "'sessions'=12;100;200;0; 'auth_failures'=0;5;10 'token_usage'=512B;;; 'pass'=3;5;6",
    "token_count=5 token_ttl=3600 token_type=Bearer max_tokens=100 prompt_tokens=12",
    "password_file=/etc/secret password_expiry_days=90 secretName: db-creds secretKeyRef: app",
    "auth_method=ldap auth_type=basic session_timeout=30 access_key_id=AKIA-is-elsewhere",
    "Password expired for user bob; please change your password.",
    "the token bucket is full, retry in 5s",
    "no secret found in vault path secret/data/app",
    "CRITICAL - Connection refused: connections=412 (warning 300, critical 400)",
    "version 2.19.5.57 built 2024-05-01T10:00:00Z in 1h2m3s, commit 9fceb02d0ae598e95dc9",
    "request 123e4567-e89b-12d3-a456-426614174000 took 12ms; sessionTimeout=30s",
    "IF-MIB::ifInOctets.3 = Counter32: 123456 .1.3.6.1.2.1.2.2.1.10.3",
    "/var/lib/nagios/tokens/ and /etc/ssl/private/server.key are readable",
    "passenger=3 bypass=on compass=north passive checks passed, author=jane, tokenizer=bpe",
    "monkey=1 keyboard=us primary key (id) routing_key=alerts.db sort_key=ts",
    "password=${DB_PASSWORD} token=$API_TOKEN secret=[REDACTED] api_key=<redacted>",
    "password: '***' token=******** pwd=%(pwd)s secret={{ .Values.secret }} key={password}",
    "password=null token=None secret: '' api_key: \"\" auth=true pwd=?",
    "PWD=/home/nagios OLDPWD=/tmp",
    "--no-password --ask-vault-pass site.yml --password-file /run/secrets/db",
    "FATAL: no password supplied; Password for user postgres:",
    "signal SIGTERM received; secretary=alice; credit=5; design=ok; session closed",
    "mkdir -p /var/run/app && psql -p 5432 -h db01 && docker run -p 8080:80 app",
    "Invalid credentials for user bob",
    "failed to fetch token: timeout; session: established; auth: basic; api_key: missing",
    'MountVolume.SetUp failed for volume "certs" : secret "db-password" not found',
    "at com.example.PasswordUtils.check(PasswordUtils.java:10) password.go:42: bad hash",
    '<input type="password" name="password"/> <token/>',
    'ERROR: password authentication failed for user "nagios"',
    "usage: app --token <token> [--password <password>]",
]


@pytest.mark.parametrize("text", BENIGN)
def test_benign_text_is_left_alone(text):
    assert find(text) == []


def test_a_number_is_a_secret_after_a_password_name_but_not_after_a_token_count():
    assert scrubbed("password=123456 token=123456") == "password=[SECRET] token=123456"


def test_an_unclosed_quote_takes_the_rest_of_the_line_and_no_more():
    text = 'password: "my secret phrase\nnext: line'
    assert scrubbed(text) == 'password: "[SECRET]\nnext: line'


def test_a_quoted_value_longer_than_4_kib_is_cut_at_4_kib():
    value = "x" * 5000
    start, end = find(f'password="{value}"')[0]
    assert (start, end - start) == (10, 4096)


def test_letters_that_fold_to_ascii_still_spell_a_name():
    assert (
        scrubbed("\u212aEY_PASS=x1 pa\u017f\u017fword=x2")
        == "\u212aEY_PASS=[SECRET] pa\u017f\u017fword=[SECRET]"
    )
    assert scrubbed("\u0130d_token=abc password=x") == "\u0130d_token=[SECRET] password=[SECRET]"
    assert scrubbed("s\u0131g=abc") == "s\u0131g=[SECRET]"


# --- At least what the shipped key=value pattern found ----------------------------------------

OLD_PATTERN = re.compile(
    r"(?i)\b(?:api|org|auth|access|secret|private)[_-]?key\s*[=:]\s*[^\s,;&]+"
    r"|\b(?:token|passw(?:or)?d|pwd|secret)\s*[=:]\s*[^\s,;&]+"
)
OLD_NAME = re.compile(r"(?i)([a-z_-]+)\s*[=:]\s*")
TERMINATORS = re.compile(r"[\s,;&\"'`)\]}<>]|\\+[\"'`nrt]")
WORKING_DIRECTORY = re.compile(
    r"(?i)\b(?:old)?pwd(?:\\*[\"'`])?[ \t]*[=:][ \t]*[/~][^\s,;&\"'`)\]}<>]*"
)
STRONG_NAMES = re.compile(r"(?i)passw(?:or)?d|pwd|secret")


def old_value_span(match: re.Match[str]) -> tuple[int, int]:
    """Where the value the old pattern found lies, without the quoting mine leaves in place:
    after the name and its operator (``=``, ``:``, ``==``, ``:=``, ``=>``) and an opening
    quote, up to the first character that ends an unquoted value."""
    name = OLD_NAME.match(match.group())
    assert name is not None
    position = match.start() + name.end()
    operator = name.group().rstrip()[-1] + match.string[position : position + 1]
    if operator in ("==", ":=", "=>"):
        position += 1
        while match.string[position : position + 1] in (" ", "\t"):
            position += 1
    quote = re.compile(r"\\*[\"'`]").match(match.string, position, match.end())
    if quote:
        position = quote.end()
    cut = TERMINATORS.search(match.string, position, match.end())
    return position, cut.start() if cut else match.end()


def old_value_exception(match: re.Match[str]) -> str | None:
    """Why the value the old pattern found is, by design, not replaced (None: it must be)."""
    text = match.string
    name = OLD_NAME.match(match.group())
    assert name is not None
    if "\n" in match.group()[: name.end()]:
        return "a value on the next line after = or after a non-YAML key"
    if "::" in match.group()[: name.end() + 1]:
        return "a scope operator (Auth::Token), not an assignment"
    if any(path.start() < match.start() < path.end() for path in WORKING_DIRECTORY.finditer(text)):
        return "inside the path PWD holds"
    start, end = old_value_span(match)
    value = text[start:end]
    if not value:
        return "only quoting"
    if re.fullmatch(
        r"(?i)\*+|\?|-|null|none|nil|undefined|true|false|yes|no|on|off|empty|unset|redacted"
        r"|hidden|masked|removed|omitted|filtered|required|optional|invalid|expired|missing"
        r"|provided|ok|\$[A-Z_][A-Z0-9_]*|\$\{.*|\[.*|\{.*|<.*",
        value,
    ):
        return "a placeholder"
    strong = STRONG_NAMES.fullmatch(re.split(r"[_.-]", name.group(1))[-1])
    if re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?", value) and not strong:
        return "a number after a token or key name"
    if re.fullmatch(r"[a-z]{1,24}", value) and name.group().rstrip()[-1] == ":" and not strong:
        return "a lower-case word after a token or key name and a colon: prose"
    if re.fullmatch(r"-?[0-9.]+[A-Za-z%]{0,3}", value) and re.match(
        r";(?:[0-9;~@.:-]|\s|$)", text[end:]
    ):
        return "perfdata"
    if name.group(1).lower() == "pwd" and value[0] in "/~":
        return "the working directory"
    return None


old_names = st.sampled_from(
    [
        *("api_key", "API-KEY", "apikey", "orgKey", "auth_key", "access-key", "secret_key"),
        *("PrivateKey", "token", "TOKEN", "password", "Passwd", "pwd", "PWD", "secret"),
        *("x-token", "db.password", "app-secret", "X-Api-Key"),
    ]
)
old_pieces = st.one_of(
    old_names,
    st.sampled_from(["=", ":", " = ", ": ", "=>", " :", "==", "=\n", ":\n  "]),
    st.text("abcXYZ019!@#%^*+/.~_-?|$", min_size=1, max_size=8),
    st.sampled_from([" ", ", ", "; ", "&", "\n", '"', "'", '\\"', "(", ")", "[", "]", "{", "<"]),
    st.sampled_from(["null", "***", "${X}", "$X", "[REDACTED]", "5", "5;10;20", "/home", "yes"]),
)


@given(st.lists(old_pieces, min_size=1, max_size=30).map("".join))
@example("password=hunter2")
@example('token: "abc def"')
@example("x-token=5;10;20 secret=5 PWD=/home")
def test_every_value_the_old_key_value_pattern_found_is_replaced(text):
    spans = find(text)
    for match in OLD_PATTERN.finditer(text):
        if old_value_exception(match) is None:
            start, end = old_value_span(match)
            assert any(s <= start and end <= e for s, e in spans), (match.group(), spans)


# --- Bounded work -----------------------------------------------------------------------------


ADVERSARIAL = {
    "password= repeated": "password=",
    '"password": " repeated': '"password": "',
    "--password repeated": "--password ",
    "<password> repeated": "<password>",
    "long run of name characters": "a",
    "name characters with secret words": "password_token",
    "unclosed single quotes": "password '",
    "twice escaped JSON keys": '\\\\\\"password\\\\\\": \\\\\\"',
    "backslash runs in a quoted value": 'password="' + "\\" * 9,
    "YAML keys without values": "password:\n",
    "Kubernetes names without values": "- name: DB_PASSWORD\n",
    "name fields without value fields": 'name="password" ',
    "mysql flags": "mysql -p ",
    "IDENTIFIED BY without a value": "IDENTIFIED BY ",
    "placeholders": "password=${X} ",
    "spaces after a name": "token" + " " * 40,
}


@pytest.mark.parametrize("unit", ADVERSARIAL.values(), ids=list(ADVERSARIAL))
def test_work_grows_linearly_on_adversarial_input(unit):
    prefix = "x password=" if unit == "a" else ""
    assert_linear(find, unit, count=2_000, prefix=prefix)
