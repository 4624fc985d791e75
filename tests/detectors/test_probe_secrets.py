"""Credential syntaxes found missing by a red-team probe of issue 9, as specifications.

Each test names a class and the context real senders write it in; the samples are shaped like
what those senders print (Go's header maps, Kubernetes audit logs, urllib3 errors, Go MySQL
DSNs, container args, SOAP WS-Security, ODBC connection strings, client command lines). Every
fix that could over-match has a benign counterpart that must stay untouched. The values are
made up for these tests.
"""

from __future__ import annotations

import base64
import json

import pytest

from sanitizer.detectors import DETECTORS, Scrubber
from tests.detectors.helpers import (
    CONTEXTS,
    LINE_CONTEXTS,
    assert_linear,
    leaked,
    scrub_all,
    unchanged,
)

PASSWORD = "Xq7vR2pL9s#K"
TOKEN = "dG9rZW4tZm9yLXRlc3RzLW9ubHk.Zx81Qe"
BASIC = base64.b64encode(f"deploy:{PASSWORD}".encode()).decode()
KEY_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "\n".join(["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"] * 6)
    + "\n-----END RSA PRIVATE KEY-----\n"
)
KEY_BASE64 = base64.b64encode(KEY_PEM.encode()).decode()
SLACK_SECRET = "k3Vd9QpXr2LmN8sTb4YwZa6C"

# --- bearer: Authorization values as lists, a lone Basic, placeholders ---------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"map[Authorization:[Basic {BASIC}] Content-Type:[application/json]]", BASIC),
        (f'{{"headers":{{"Authorization":["Basic {BASIC}"]}}}}', BASIC),
        (f'{{"requestHeaders":{{"authorization":["Basic {BASIC}"]}}}}', BASIC),
        (f'authorization: ["Basic {BASIC}"]', BASIC),
        (f"map[X-Api-Key:[{TOKEN}] Accept:[*/*]]", TOKEN),
        (f'{{"x-api-key":["{TOKEN}"]}}', TOKEN),
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_bearer_in_header_value_lists_is_found(text, secret, context):
    assert not leaked(secret, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        f"proxy rejected credentials Basic {BASIC} for upstream",
        f"nginx: auth_basic header was 'Basic {BASIC}'",
        f"using basic {BASIC}",
    ],
)
def test_bearer_lone_basic_pair_is_found(text):
    assert not leaked(BASIC, text)


@pytest.mark.parametrize(
    "text",
    [
        'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/v1/health',
        "Authorization: Bearer ${GITHUB_TOKEN}",
        'curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://x',
        "Authorization: Token $API_TOKEN",
        "Authorization: Bearer ***",
        "token_type=Bearer expires_in=3600",
        'WWW-Authenticate: Bearer authorization_uri="https://login.example.com/t", '
        'error="invalid_token"',
        "Basic authentication required for realm Restricted",
        "Basic configuration loaded from /etc/app/basic.yaml",
        "Basic YWJjZGVmZ2hpams= is not a pair",
        "map[Authorization:[REDACTED] Accept:[*/*]]",
        '{"Authorization":["[REDACTED]"]}',
    ],
)
def test_bearer_placeholders_and_prose_are_left_alone(text):
    assert unchanged(text)


def test_bearer_labels_are_stable_across_scrubber_rounds():
    for text in (f"X-Auth-Token: {TOKEN}", f"map[Authorization:[Basic {BASIC}]]"):
        once = Scrubber(["bearer"])(text)[0]
        assert Scrubber(["bearer"])(once)[0] == once


# --- url_credentials: Go MySQL DSNs ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"app:{PASSWORD}@tcp(db1:3306)/shop?parseTime=true",
        f"Error 1045: Access denied; dsn=app:{PASSWORD}@tcp(db1:3306)/shop",
        f'sql.Open("mysql", "app:{PASSWORD}@tcp(db1:3306)/shop")',
        f"root:{PASSWORD}@unix(/var/run/mysqld/mysqld.sock)/shop",
        f"DSN=app:{PASSWORD}@tcp6([::1]:3306)/shop",
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_url_credentials_in_go_mysql_dsn_is_found(text, context):
    assert not leaked(PASSWORD, CONTEXTS[context](text))


def test_url_credentials_go_dsn_with_a_scheme_keeps_the_scheme():
    out = scrub_all(f"mysql://app:{PASSWORD}@tcp(db1:3306)/shop")[0]
    assert out == "mysql://[CREDENTIALS]@tcp(db1:3306)/shop"


@pytest.mark.parametrize(
    "text", ["dsn=app@tcp(db1:3306)/shop", "error dialing @tcp(db1:3306)", "user@tcp(broken"]
)
def test_url_credentials_go_dsn_without_password_is_left_alone(text):
    assert unchanged(text)


# --- aws_access_key: the label spelled out ----------------------------------------------

AWS_SECRET = "q8Jd2LmX0vR7tKp4Wz9NcB3yHf6Ue1Ts5Ga0OiPl"


@pytest.mark.parametrize(
    "text",
    [
        f"AWS Secret Access Key [None]: {AWS_SECRET}",
        f"AWS Secret Access Key [****************iPl]: {AWS_SECRET}",
        f"Secret access key: {AWS_SECRET}",
        f'Secret Access Key: "{AWS_SECRET}"',
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_aws_secret_key_after_spelled_out_label_is_found(text, context):
    assert not leaked(AWS_SECRET, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        "Secret access key: invalid",
        "Secret access key rotation: due in 3 days",
        "AWS Secret Access Key [None]: ",
    ],
)
def test_aws_spelled_out_label_prose_is_left_alone(text):
    assert unchanged(text)


# --- pem_private_key: base64 lines joined by spaces ----------------------------------------


def test_pem_private_key_base64_wrapped_and_joined_by_spaces_is_found():
    lines = [KEY_BASE64[i : i + 76] for i in range(0, len(KEY_BASE64), 76)]
    out = scrub_all("tls.key: " + " ".join(lines) + " (from secret web-tls)")[0]
    assert all(line not in out for line in lines)
    assert out.endswith(" (from secret web-tls)")


# --- slack_webhook: the path without its host ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "HTTPSConnectionPool(host='hooks.slack.com', port=443): Max retries exceeded with url: "
        f"/services/T0A1B2C3D/B0E1F2G3H4/{SLACK_SECRET} (Caused by NewConnectionError)",
        "POST /services/T0A1B2C3D/B0E1F2G3H4/" + SLACK_SECRET + " 404",
        f"url: /workflows/T0A1B2C3D/A0E1F2G3H4/482913370012/{SLACK_SECRET}",
    ],
)
def test_slack_webhook_path_without_host_is_found(text):
    assert not leaked(SLACK_SECRET, text)


@pytest.mark.parametrize(
    "text", ["GET /services/T1000/B2000/status HTTP/1.1", "/services/TEAM/BACKEND/config"]
)
def test_slack_webhook_look_alike_paths_are_left_alone(text):
    assert unchanged(text)


# --- secret_assignment: client command lines ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"docker login -u ci -p {PASSWORD} registry.example.com",
        f"ldapsearch -x -D cn=admin,dc=acme,dc=org -w {PASSWORD} -b dc=acme,dc=org",
        f"ldapmodify -H ldap://ldap1 -D cn=admin -w '{PASSWORD}' -f change.ldif",
        f"sqlcmd -S db1 -U sa -P {PASSWORD} -Q 'select 1'",
        f"snmpwalk -v2c -c {PASSWORD} sw1 ifDescr",
        f"snmpget -v3 -l authPriv -u mon -a SHA -A {PASSWORD} -x AES -X {PASSWORD} sw1 sysUpTime.0",
        f"check_snmp -H sw1 -C {PASSWORD} -o sysUpTime.0 -w 80 -c 90",
        f"curl -u admin:{PASSWORD} https://jenkins.example.com/api/json",
        f"curl -sf --user 'admin:{PASSWORD}' https://x.example.com",
        f"curl --user=admin:{PASSWORD} https://x.example.com",
        f"curl -x http://proxy:3128 --proxy-user ops:{PASSWORD} https://x.example.com",
        f"sqlplus -s app/{PASSWORD}@//db1:1521/ORCLPDB1 @check.sql",
        f"sqlplus app/{PASSWORD}",
        f"rman target sys/{PASSWORD}@orcl",
        f"SQL> CONNECT app/{PASSWORD}@orcl",
        f"machine api.example.com login deploy password {PASSWORD}",
        f"$secure = ConvertTo-SecureString '{PASSWORD}' -AsPlainText -Force",
        f'ConvertTo-SecureString -String "{PASSWORD}" -AsPlainText -Force',
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_client_password_flags_are_found(text, context):
    assert not leaked(PASSWORD, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        "docker run -d -p 8080:80 -p 443:443 nginx:1.25",
        "docker login registry.example.com",
        "docker login -u ci --password-stdin registry.example.com",
        "echo $PASS | docker login --username ci --password-stdin registry.example.com",
        "ldapsearch -x -W -D cn=admin,dc=acme -b dc=acme",
        "curl -u admin https://jenkins.example.com/api/json",
        "curl -u : --negotiate https://x.example.com",
        "curl --user-agent 'check:1.0' https://x.example.com",
        "check_snmp -H sw1 -o sysUpTime.0 -w 80 -c 90",
        "sqlplus -s /nolog @script.sql",
        "sqlplus / as sysdba",
        "sqlplus app@orcl",
        "rman target /",
        "failed to connect to/from the primary",
        "login admin password reset required",
        "$pw = ConvertTo-SecureString $env:DB_PW -AsPlainText -Force",
        "$password = Read-Host -AsSecureString",
    ],
)
def test_secret_assignment_client_look_alikes_are_left_alone(text):
    assert unchanged(text)


def test_secret_assignment_connect_before_a_url_leaves_the_url_to_url_credentials():
    out = scrub_all(f"conn <postgres://app:{PASSWORD}@db1/shop> refused")[0]
    assert out == "conn <postgres://[CREDENTIALS]@db1/shop> refused"


# --- secret_assignment: syntaxes ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"Driver={{ODBC Driver 18 for SQL Server}};Server=db1;Uid=sa;Pwd={{{PASSWORD}}};",
        f"DRIVER={{PostgreSQL}};SERVER=db;UID=app;PWD={{a;b{PASSWORD}}};",
        f"Server=db1;Uid=sa;Pwd={{{PASSWORD}}}}}x}};Encrypt=yes",
        "Server=db1;Uid=sa;Pwd={Summer24x};",
    ],
)
def test_secret_assignment_odbc_braced_password_is_found(text):
    secret = PASSWORD if PASSWORD in text else "Summer24x"
    assert not leaked(secret, text)


@pytest.mark.parametrize(
    "text",
    [
        "Server={server};Database={db};Uid={user};Pwd={password};",
        'String.Format("Server=db;User Id=sa;Password={0};", pw)',
        "password={password}",
        "api_key: {api_key}",
    ],
)
def test_secret_assignment_format_string_fields_are_left_alone(text):
    assert unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "<soapenv:Header><wsse:Security><wsse:UsernameToken><wsse:Username>app</wsse:Username>"
        '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/'
        'oasis-200401-wss-username-token-profile-1.0#PasswordText">'
        f"{PASSWORD}</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>",
        f"<ns2:apiToken>{PASSWORD}</ns2:apiToken>",
        f"<cfg:db-password>{PASSWORD}</cfg:db-password>",
    ],
)
@pytest.mark.parametrize("context", LINE_CONTEXTS)
def test_secret_assignment_in_namespaced_xml_element_is_found(text, context):
    assert not leaked(PASSWORD, CONTEXTS[context](text))


@pytest.mark.parametrize(
    "text",
    [
        f"containers:\n- name: app\n  args:\n  - --password\n  - {PASSWORD}\n  - --verbose\n",
        f"args:\n  - --db-password\n  - '{PASSWORD}'\n",
        f'args:\n  - "--api-token"\n  - "{PASSWORD}"\n',
        f"command:\n- /bin/app\n- --client-secret\n- {PASSWORD}\n",
    ],
)
def test_secret_assignment_flag_in_yaml_list_item_is_found(text):
    assert not leaked(PASSWORD, text)
    assert not leaked(PASSWORD, json.dumps({"manifest": text}))


@pytest.mark.parametrize(
    "text",
    [
        "args:\n  - --password-file\n  - /run/secrets/db\n",
        "args:\n  - --verbose\n  - --port\n  - 8080\n",
        "args:\n  - --token-ttl\n  - 3600\n",
        "args:\n  - --password\n  - $(DB_PASSWORD)\n",
    ],
)
def test_secret_assignment_yaml_list_look_alikes_are_left_alone(text):
    assert unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        f"<property><name>fs.s3a.secret.key</name>\n  <value>{PASSWORD}</value></property>",
        "<property><name>javax.jdo.option.ConnectionPassword</name>"
        f"<value>{PASSWORD}</value></property>",
        f"<entry><key>db.password</key><value>{PASSWORD}</value></entry>",
    ],
)
def test_secret_assignment_in_hadoop_style_name_value_xml_is_found(text):
    assert not leaked(PASSWORD, text)
    assert not leaked(PASSWORD, json.dumps({"core-site": text}))


@pytest.mark.parametrize(
    "text",
    [
        "<name>fs.s3a.secret.key</name><value></value>",
        "<name>hadoop.security.credential.provider.path</name><value>jceks://hdfs/x</value>",
        "<name>dfs.replication</name><value>3</value>",
    ],
)
def test_secret_assignment_hadoop_style_look_alikes_are_left_alone(text):
    assert unchanged(text)


@pytest.mark.parametrize(
    "text",
    ["credentials: {}", "auth: {type: basic}", "tokens: []", "secret:\n  {name: db, key: pw}"],
)
def test_secret_assignment_yaml_flow_collection_is_not_a_value(text):
    assert unchanged(text)


def test_secret_assignment_inside_yaml_flow_collection_is_found():
    assert not leaked(PASSWORD, f"auth: {{user: app, password: {PASSWORD}}}")


@pytest.mark.parametrize(
    "text",
    [
        "ExpiredToken: The security token included in the request is expired",
        "SignatureDoesNotMatch: The request signature we calculated does not match the "
        "signature you provided.",
        "InvalidSignatureException: Signature expired: 20261201T000000Z is now earlier than "
        "20261201T000500Z",
        "MissingAuthenticationToken: Missing Authentication Token",
        "IncompleteSignature: The request signature does not conform to AWS standards",
        "max_connections=500 password_encryption=scram-sha-256",
        "docker login --password-stdin registry.example.com",
        # .NET assembly names in stack traces: a public key's hash, published with the assembly.
        "at System.Data.SqlClient.SqlConnection.Open() in System.Data, Version=4.0.0.0, "
        "Culture=neutral, PublicKeyToken=b77a5c561934e089",
        "public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0d",
    ],
)
def test_secret_assignment_error_codes_and_settings_are_left_alone(text):
    assert unchanged(text)


# --- Bounded work -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("url_credentials", "a:b@tcp("),
        ("url_credentials", "a" * 40 + ":"),
        ("url_credentials", "=a:b@unix("),
        ("bearer", "basic QUJDRDpF "),
        ("bearer", "map[Authorization:[Basic "),
        ("bearer", "x-api-key:[a"),
        ("slack_webhook", "/services/TABCDEF/BABCDEF/"),
        ("slack_webhook", "/workflows/TABCDEF/AABCDEF/123456/"),
        ("pem_private_key", "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo" + "A" * 33 + " "),
        ("secret_assignment", "curl -u a:"),
        ("secret_assignment", "snmpwalk -c x -A "),
        ("secret_assignment", "sqlplus a/"),
        ("secret_assignment", "connect a/b "),
        ("secret_assignment", "machine h login u "),
        ("secret_assignment", "ConvertTo-SecureString "),
        ("secret_assignment", "Pwd={a;"),
        ("secret_assignment", "<a:password"),
        ("secret_assignment", "- --password\n"),
        ("secret_assignment", "token: {a: "),
        ("secret_assignment", "<name>password</name><value>"),
        ("aws_access_key", "secret access key [a]: "),
        ("aws_access_key", "Secret Access Key: " + "A" * 30 + " "),
    ],
)
def test_work_grows_linearly_on_adversarial_input(name, unit):
    assert_linear(DETECTORS[name].find, unit, count=5_000)
