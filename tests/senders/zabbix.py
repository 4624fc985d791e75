"""Zabbix's own webhook media types, read from the database seed Debian's zabbix-server-pgsql
ships (data.sql.gz), and run by `zabbix_js`, Zabbix's embedded JavaScript engine, with the
parameters Zabbix would pass after expanding its macros."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.senders.harness import data_file, program

DATA_SQL = Path("/usr/share/zabbix-server-pgsql/data.sql.gz")
ZABBIX_JS = "/usr/bin/zabbix_js"

_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) values \(", re.IGNORECASE)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_MACRO = re.compile(r"\{[A-Z][A-Z0-9._]*\}")


@dataclass(frozen=True)
class MediaType:
    name: str
    script: str
    parameters: dict[str, str]  # name → value, with Zabbix's macros unexpanded


def _literal(text: str, start: int) -> tuple[str, int]:
    """The SQL string literal at `start` ('...' or PostgreSQL's E'...'), and where it ends."""
    escaped = text[start] in "Ee"
    position = start + 1 if escaped else start
    if text[position] != "'":
        raise ValueError(f"expected a string literal at offset {start}")
    position += 1
    value: list[str] = []
    while True:
        char = text[position]
        if char == "'":
            if text[position + 1 : position + 2] == "'":
                value.append("'")
                position += 2
                continue
            return "".join(value), position + 1
        if escaped and char == "\\":
            following = text[position + 1]
            value.append(_ESCAPES.get(following, following))
            position += 2
            continue
        value.append(char)
        position += 1


def _rows(sql: str, table: str) -> list[dict[str, str]]:
    """Every row of `table` inserted by `sql` (all values are string literals in the seed)."""
    rows = []
    for match in _INSERT.finditer(sql):
        if match.group(1) != table:
            continue
        columns = [column.strip() for column in match.group(2).split(",")]
        values, position = [], match.end()
        for index in range(len(columns)):
            value, position = _literal(sql, position)
            values.append(value)
            expected = "," if index < len(columns) - 1 else ")"
            if sql[position] != expected:
                raise ValueError(f"unexpected {sql[position]!r} in a {table} row")
            position += 1
        rows.append(dict(zip(columns, values, strict=True)))
    return rows


def shipped_media_type(name: str) -> MediaType:
    """The webhook media type called `name` as Zabbix ships it."""
    sql = gzip.decompress(data_file(DATA_SQL).read_bytes()).decode("utf-8")
    (media,) = [row for row in _rows(sql, "media_type") if row["name"] == name]
    parameters = {
        row["name"]: row["value"]
        for row in _rows(sql, "media_type_param")
        if row["mediatypeid"] == media["mediatypeid"]
    }
    return MediaType(name, media["script"], parameters)


def expand(parameters: dict[str, str], macros: dict[str, str]) -> dict[str, str]:
    """The parameters as Zabbix passes them: built-in macros it cannot resolve become
    *UNKNOWN*; user macros ({$NAME}) without a value stay as written."""

    def value(match: re.Match[str]) -> str:
        return macros.get(match.group(0), "*UNKNOWN*")

    return {name: _MACRO.sub(value, text) for name, text in parameters.items()}


def run_webhook(media: MediaType, parameters: dict[str, str], workdir: Path) -> str:
    """Run the media type's script under zabbix_js; return what it printed (its result)."""
    binary = program(ZABBIX_JS)
    script = workdir / f"{media.name}.js"
    script.write_text(media.script, encoding="utf-8")
    result = subprocess.run(
        [binary, "-s", str(script), "-p", json.dumps(parameters), "-t", "20"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, f"zabbix_js failed:\n{result.stdout}{result.stderr}"
    return result.stdout
