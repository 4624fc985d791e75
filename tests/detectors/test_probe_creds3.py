"""Credential syntaxes found missing by a third red-team probe of issue 9, as specifications.

This probe looked where the first two did not: secrets written in prose with no operator
(``the password is x``), Redis ``AUTH``, the password flags and positional passwords of more
clients and Nagios plugins, T-SQL's ``N'x'``, a quoted name and value given to a call
(``define('DB_PASSWORD', 'x')``), two-word key names (``API key x``), more vendor formats, and
whole alerts of every sender through the shipped policies. Every fix that could over-match has
a benign counterpart that must stay untouched. The values are made up for these tests.
"""

from __future__ import annotations

import json
from random import Random

import pytest

from sanitizer.detectors import DETECTORS
from tests.corpus.measure import shipped_policies
from tests.corpus.senders import SENDERS
from tests.detectors.helpers import (
    CONTEXTS,
    LINE_CONTEXTS,
    assert_linear,
    leaked,
    scrub_all,
    unchanged,
)

PASSWORD = "Vr7q2Lx9Kd4w"
TOKEN = "Zk4mQ9rT2vX7bN1pL8sW3yC6"
SESSION = "a8f3kq92lmzx0c7vb6n5"

# --- secret_assignment: a secret in prose, after a space, in a table ----------------------

PROSE = [
    f"the password is {PASSWORD}",
    f"The password is: {PASSWORD}",
    f"password for user app was set to {PASSWORD}",
    f"Password changed to {PASSWORD}",
    f"reset the password to {PASSWORD} and retry",
    f"using password {PASSWORD}",
    f"with password {PASSWORD} for root",
    f"temporary password {PASSWORD} expires in 24h",
    f"Generated password for admin: {PASSWORD}",
    f"Your password has been set to {PASSWORD}.",
    f"WARNING: password {PASSWORD} is too weak",
    f"user app password {PASSWORD}",
    f"passwd {PASSWORD}",
    f"ENV DB_PASSWORD {PASSWORD}",
    f"setenv DB_PASSWORD {PASSWORD}",
    f"set -x DB_PASSWORD {PASSWORD}",
    f"rootpw {PASSWORD}",
    f"password\t{PASSWORD}",
    f"| password | {PASSWORD} |",
]


@pytest.mark.parametrize("text", PROSE)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_password_in_prose_is_found(text, context):
    assert not leaked(PASSWORD, CONTEXTS[context](text))


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token is {TOKEN}", TOKEN),
        (f"the secret is {TOKEN}", TOKEN),
        (f"auth token {TOKEN} rejected", TOKEN),
        (f"session {SESSION} expired", SESSION),
        (f"Session ID {SESSION} invalid", SESSION),
        (f"api_key\t{TOKEN}", TOKEN),
        (f"credentials app:{PASSWORD}", PASSWORD),
        (f"xpack.security.authc.token.secret {TOKEN}", TOKEN),
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_token_in_prose_is_found(text, secret, context):
    assert not leaked(secret, CONTEXTS[context](text))


def test_secret_assignment_in_psql_table_output_is_found():
    text = f"     key     |    value\n-------------+-------------\n db_password | {PASSWORD}\n"
    assert not leaked(PASSWORD, text)


@pytest.mark.parametrize(
    "text",
    [
        'password authentication failed for user "app"',
        "password reset for user1234",
        "Password reset by admin01 at 10:00",
        "password changed for app2 on 2026-12-01",
        "password for svc_backup01 is expired",
        "passwd[1234]: pam_unix(passwd:chauthtok): password changed for app",
        "Failed password for root from bastion port 22 ssh2",
        "session opened for user root(uid=0) by (uid=0)",
        "New session 42 of user root.",
        "secret app-db-creds-2024 rotated",
        "Error: secret default-token-x2x4z not found",
        "token for sa default/builder2 rotated",
        "the password is too short (min 12)",
        "with password 12345678",
        "password v1.2.3 scheme",
        "Password expires on 2026-12-01T10:00:00Z",
        "token expired at 2026-12-01T10:00:00Z",
        "password hashing scheme scram-sha-256",
        "echo $password | base64 -d",
        "password encoded as base64",
        "session timeout 30m",
        "License key expires 2027-01-01",
        "keystore password incorrect for ks2024.jks",
        "RSA key fingerprint is SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8.",
        "Invalid API key",
        "pwd /home/app2",
    ],
)
def test_secret_assignment_prose_look_alikes_are_left_alone(text):
    assert unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "passwd: password updated successfully",
        "passwd: all authentication tokens updated successfully.",
        "htpasswd: cannot modify file /etc/nginx/.htpasswd; use '-c' to create it.",
        "chpasswd: (user app) pam_chauthtok() failed, error:",
        "sshd[812]: pam_unix(passwd:chauthtok): password changed for app",
        "app[1]: worker exited on sig=SIGTERM",
    ],
)
def test_secret_assignment_password_program_messages_are_left_alone(text):
    assert unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        f"passwd: {PASSWORD}",
        "passwd: $6$rounds=4096$saltsalt$Vr7q2Lx9Kd4wQ",
        f'description = masterauth "{PASSWORD}"',
        f"description = requirepass {PASSWORD}",
        f"password: !!str {PASSWORD}",
    ],
)
def test_secret_assignment_directives_and_yaml_tags_are_found(text):
    secret = PASSWORD if PASSWORD in text else "Vr7q2Lx9Kd4wQ"
    assert not leaked(secret, text)


@pytest.mark.parametrize(
    "text",
    [
        '"state_message": "HOME=/home/app\nLANG=C\nSLACK_TOKEN=[SECRET]"',
        '"m": "a\npassword: !!str [SECRET]"',
        "'m': 'A=1\nDB_PASSWORD=[SECRET]'",
        '"operational_data": "SLACK_BOT_TOKEN=[SLACK_TOKEN]\\nHOSTNAME=api-7d9f\\nTZ=UTC"',
    ],
)
def test_secret_assignment_label_before_the_closing_quote_of_a_field_is_not_found_again(text):
    assert DETECTORS["secret_assignment"].find(text) == []


def test_secret_assignment_value_in_a_quoted_string_ends_at_an_escaped_line_break():
    text = '{"msg": "A=1\\nDB_PASSWORD=' + PASSWORD + ' x\\nHOME=/root"}'
    assert scrub_all(text)[0] == '{"msg": "A=1\\nDB_PASSWORD=[SECRET]\\nHOME=/root"}'


# --- secret_assignment: two-word key names --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"Invalid API key: {TOKEN}",
        f"Invalid api key {TOKEN}",
        f"API key {TOKEN} is invalid",
        f"the api key is {TOKEN}",
        f"License key: {TOKEN}",
        f"PAGERDUTY_INTEGRATION_KEY={TOKEN}",
        f"integration_key: {TOKEN}",
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_two_word_key_name_is_found(text, context):
    assert not leaked(TOKEN, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        "primary key violation: duplicate key 12345abcdef678",
        "api key expired",
        "ssh key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
        "routing key orders.created",
    ],
)
def test_secret_assignment_two_word_key_look_alikes_are_left_alone(text):
    assert unchanged(text)


# --- secret_assignment: Redis AUTH ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"AUTH {PASSWORD}",
        f"127.0.0.1:6379> AUTH {PASSWORD}",
        f"> AUTH default {PASSWORD}",
        f'1701234567.123456 [0 192.0.2.5:52144] "AUTH" "{PASSWORD}"',
        f'1701234567.123456 [0 192.0.2.5:52144] "auth" "app" "{PASSWORD}"',
        f"AUTH PLAIN {PASSWORD}",
    ],
)
def test_secret_assignment_redis_auth_is_found(text):
    assert not leaked(PASSWORD, text)
    assert not leaked(PASSWORD, json.dumps({"log": text}))
    assert not leaked(PASSWORD, json.dumps(json.dumps({"log": text})))


@pytest.mark.parametrize(
    "text",
    [
        "AUTH PLAIN",
        "AUTH LOGIN",
        "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.",
        "ERR AUTH <password> called without any password configured for the default user.",
        "SMTP AUTH extension not supported by server.",
        "NOAUTH Authentication required.",
        '"AUTH" "******"',
    ],
)
def test_secret_assignment_redis_auth_look_alikes_are_left_alone(text):
    assert unchanged(text)


# --- secret_assignment: client password flags and positional passwords --------------------


@pytest.mark.parametrize(
    "text",
    [
        f"mongo -u admin -p {PASSWORD} --authenticationDatabase admin",
        f"mongosh --host db1 -u admin -p '{PASSWORD}'",
        f"cqlsh -u cassandra -p {PASSWORD} db1",
        f"oc login -u admin -p {PASSWORD} https://api.example.com:6443",
        f"podman login -u ci -p {PASSWORD} quay.io",
        f"helm registry login reg.example.com -u ci -p {PASSWORD}",
        f"az login --service-principal -u app -p {PASSWORD} --tenant t1",
        f"rdesktop -u admin -p {PASSWORD} h1",
        f"racadm -r idrac1 -u root -p {PASSWORD} getsysinfo",
        f"psexec \\\\h1 -u admin -p {PASSWORD} cmd",
        f"ipmitool -I lanplus -H bmc1 -U admin -P {PASSWORD} chassis status",
        f"zip -P {PASSWORD} out.zip f",
        f"xfreerdp /u:admin /p:{PASSWORD} /v:h1",
        f"winrs -r:h1 -u:admin -p:{PASSWORD} dir",
        f"openssl enc -aes-256-cbc -k {PASSWORD} -in f -out f.enc",
        f"smbclient //fs/share -U admin%{PASSWORD}",
        f"smbclient -U 'CORP\\admin%{PASSWORD}' //fs/share",
        f"lftp -u admin,{PASSWORD} ftp://h1",
        f"check_http -H www.example.com -a admin:{PASSWORD}",
        f"check_curl -H x --authorization=admin:{PASSWORD}",
        f"check_ldap -H ldap1 -b dc=x -D cn=mon -P {PASSWORD}",
        f"check_smtp -H mx1 -A LOGIN -U mon -P {PASSWORD}",
        f"check_mongodb.py -H m1 -u admin -p {PASSWORD} -A connections",
        f"check_rabbitmq_server -H r1 -u mon -p {PASSWORD}",
        f"check_wmi_plus.pl -H w1 -u admin -p {PASSWORD} -m checkcpu",
        f"check_ilo2_health -H ilo1 -u admin -p {PASSWORD}",
        f"check_ipmi_sensor -H bmc1 -U admin -P {PASSWORD} -L USER",
        f"check_snmp_int.pl -H sw1 -l mon -x {PASSWORD} -X {PASSWORD} -L sha,aes",
        f"check_nwc_health --hostname sw1 --community {PASSWORD} --mode uptime",
        f'audit: type=EXECVE argc=4 a0="mysql" a1="-u" a2="root" a3="-p{PASSWORD}"',
        f"htpasswd -b /etc/nginx/.htpasswd admin {PASSWORD}",
        f"htpasswd -bc .htpasswd admin {PASSWORD}",
        f"rabbitmqctl add_user app {PASSWORD}",
        f"rabbitmqctl -n rabbit@mq1 change_password app {PASSWORD}",
        f"isql -v SHOP app {PASSWORD}",
        f"wpa_passphrase office {PASSWORD}",
        f"net use Z: \\\\fs1\\share {PASSWORD} /user:CORP\\app",
        f"mc alias set s3 https://s3.example.com minio {PASSWORD}",
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_more_client_passwords_are_found(text, context):
    assert not leaked(PASSWORD, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        "check_tcp -H db1 -p 5432 -w 1 -c 2",
        "check_http -H www.example.com -p 8443 -S",
        "check_disk -w 10% -c 5% -p /var",
        "check_ping -H h1 -w 100,20% -c 500,60% -p 5",
        "check_smtp -H mx1 -p 25",
        "docker run -d -p 8080:80 nginx",
        "mongod --port 27017 --bind_ip_all",
        "htpasswd -n admin",
        "htpasswd -D .htpasswd admin",
        "rabbitmqctl list_users",
        "net use Z: \\\\fs1\\share /user:CORP\\app",
        "mc ls s3/backups",
        "lftp -u admin ftp://h1",
        "smbclient -L fs1 -N",
        "openssl s_client -connect h1:443 -servername h1",
        "unzip -l archive.zip",
    ],
)
def test_secret_assignment_client_look_alikes_are_left_alone(text):
    assert unchanged(text)


# --- secret_assignment: T-SQL N'x', call arguments, name/value fields ----------------------


@pytest.mark.parametrize(
    "text",
    [
        f"ALTER LOGIN sa WITH PASSWORD=N'{PASSWORD}'",
        f"CREATE LOGIN app WITH PASSWORD = N'{PASSWORD}', CHECK_POLICY = OFF",
        f"define('DB_PASSWORD', '{PASSWORD}');",
        f"[System.Environment]::SetEnvironmentVariable('DB_PASSWORD','{PASSWORD}')",
        f'System.setProperty("javax.net.ssl.keyStorePassword", "{PASSWORD}")',
        f'os.Setenv("API_TOKEN", "{PASSWORD}")',
        json.dumps({"event": {"tags": [{"tag": "db_password", "value": PASSWORD}]}}),
        f"mot_de_passe={PASSWORD}",
        f"snmp_community={PASSWORD}",
        f"userPassword:: {PASSWORD}",
        f"X-Insert-Key: {PASSWORD}",
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_sql_call_and_field_syntaxes_are_found(text, context):
    assert not leaked(PASSWORD, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        'validates("password", "email")',
        'os.getenv("DB_PASSWORD", "")',
        'fields = ["password", "email"]',
        "password=None",
        "community: public",
        "  ~ password = (sensitive value)",
        "std::string password;",
        "Community Edition 2024",
        json.dumps({"tag": "password", "value": ""}),
    ],
)
def test_secret_assignment_call_and_field_look_alikes_are_left_alone(text):
    assert unchanged(text)


# --- vendor_key: more vendors ------------------------------------------------------------

VENDOR_KEYS = [
    "whsec_" + "Qx7vR2pL9sK3mN8tB4yW6zA1",
    "dckr_pat_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N",
    "dapi" + "0123456789abcdef" * 2,
    "sbp_" + "0123456789abcdef" * 2 + "01234567",
    "sqp_" + "0123456789abcdef" * 2 + "01234567",
    "HRKU-" + "a1B2c3D4e5" * 4,
    "AKCp8" + "a1B2c3D4e5F6g7H8" * 4 + "a1B2",
    "abcdEFGHijklMN.atlasv1." + "a1B2c3D4e5" * 6,
    "abc8Q~" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7",
    "123456789:AAH" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6",
    "dp.st.prd." + "a1B2c3D4e5" * 4,
]


@pytest.mark.parametrize("key", VENDOR_KEYS)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_vendor_key_more_vendors_are_found(key, context):
    assert not leaked(key, CONTEXTS[context](f"deploy failed: {key} rejected"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "POST https://alert.victorops.com/integrations/generic/20131114/alert/"
            "0a1b2c3d-4e5f-6789-abcd-ef0123456789/database -> 404",
            "POST https://alert.victorops.com/integrations/generic/20131114/alert/"
            "[VENDOR_KEY]/database -> 404",
        ),
        (
            "POST https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef"
            "/enqueue 400",
            "POST https://events.pagerduty.com/integration/[VENDOR_KEY]/enqueue 400",
        ),
    ],
)
def test_vendor_key_alerting_endpoint_key_in_path_is_found(text, expected):
    assert scrub_all(text)[0] == expected


def test_vendor_key_telegram_token_in_bot_url_keeps_the_host():
    token = VENDOR_KEYS[9]
    out = scrub_all(f"POST https://api.telegram.org/bot{token}/sendMessage 401")[0]
    assert out == "POST https://api.telegram.org/bot[VENDOR_KEY]/sendMessage 401"


@pytest.mark.parametrize(
    "text",
    [
        "12:00:00 ERROR:AbortController aborted",
        "port 8080:Accept-Encoding gzip",
        "dapi request took 12ms",
        "Q~ marks a tilde",
        "sqp_ prefix alone",
    ],
)
def test_vendor_key_look_alikes_are_left_alone(text):
    assert unchanged(text)


# --- whole alerts of every sender, through the shipped policies ---------------------------

ALERT_SAMPLES = [
    (f"the password is {PASSWORD}", PASSWORD),
    (f"AUTH {PASSWORD}", PASSWORD),
    (f"check_mongodb.py -H m1 -u admin -p {PASSWORD} -A connections", PASSWORD),
    (f"Invalid API key: {TOKEN}", TOKEN),
    (f"ALTER LOGIN sa WITH PASSWORD=N'{PASSWORD}'", PASSWORD),
    (f"rootpw {PASSWORD}", PASSWORD),
    (f'masterauth "{PASSWORD}"', PASSWORD),
    (f"password: !!str {PASSWORD}", PASSWORD),
    (f"POST https://api.telegram.org/bot{VENDOR_KEYS[9]}/sendMessage", VENDOR_KEYS[9]),
]


@pytest.fixture(scope="module")
def policies():
    return shipped_policies()


def _text_slots():
    for sender in SENDERS:
        for slot in sender.slots:
            if slot.kind == "text":
                yield sender, slot


@pytest.mark.parametrize(
    ("sender", "slot"),
    list(_text_slots()),
    ids=[f"{sender.name}-{slot.field}" for sender, slot in _text_slots()],
)
def test_shipped_policies_let_no_planted_credential_leave_any_sender(policies, sender, slot):
    rng = Random(9)
    for text, secret in ALERT_SAMPLES:
        alert = sender.build(rng, {slot.field: text})
        outputs = [out.payload for out in policies[sender.policy].apply_all(alert)]
        assert secret not in json.dumps(outputs), (sender.name, slot.field, text)


# --- Bounded work -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("secret_assignment", "password is "),
        ("secret_assignment", "password for a "),
        ("secret_assignment", "password | "),
        ("secret_assignment", "AUTH a\n"),
        ("secret_assignment", '"AUTH" "a" '),
        ("secret_assignment", "htpasswd -b a "),
        ("secret_assignment", "rabbitmqctl -n a "),
        ("secret_assignment", "isql -v "),
        ("secret_assignment", "define('password', "),
        ("secret_assignment", "api key "),
        ("secret_assignment", "lftp -u a,"),
        ("vendor_key", "1234567:A"),
        ("vendor_key", "abc1Q~"),
    ],
)
def test_work_grows_linearly_on_adversarial_input(name, unit):
    assert_linear(DETECTORS[name].find, unit, count=5_000)
