"""Reading one route's `upstream:` mapping, with errors that name the field to fix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from sanitizer.errors import ConfigError, LoadError
from sanitizer.keys import parse_secret_ref, read_secret

# What an HTTP header value may hold: a configured header, or a secret sent in one.
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


class UpstreamConfig:
    """One route's `upstream:` mapping; each reader validates one key."""

    def __init__(
        self, raw: Mapping[str, Any], route: str, environ: Mapping[str, str] | None
    ) -> None:
        self.raw = raw
        self.route = route
        self.environ = environ
        self.where = f"routes.{route}.upstream"

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(problem, field=f"{self.where}.{key}")

    def check_keys(self, kind: str, options: tuple[str, ...]) -> None:
        allowed = ("type", *options)
        for key in self.raw:
            if key not in allowed:
                raise self.error(
                    str(key), f"unknown option for type {kind}; allowed: {', '.join(allowed)}"
                )

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        value = self.raw.get(key, default)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                key, "must be a non-empty string" if key in self.raw else "is required"
            )
        return value

    def number(self, key: str, default: float, *, low: float, high: float, integer: bool) -> Any:
        value = self.raw.get(key, default)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "an integer" if integer else "a number"
            raise self.error(key, f"must be {kind} from {low:g} to {high:g}")
        return value

    def url(self, default: str | None = None) -> str:
        value = self.string("url", default, required=True)
        try:
            parsed = httpx.URL(value)
        except httpx.InvalidURL:
            raise self.error("url", "is not a valid URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise self.error("url", "must be an http:// or https:// URL with a host")
        if parsed.userinfo:
            raise self.error(
                "url",
                "holds a user name or password; send credentials in a header given as a "
                "{env: VARIABLE} or {file: PATH} secret",
            )
        if parsed.fragment:
            raise self.error("url", "must not have a #fragment")
        return value

    def secret(self, key: str, *, header: bool = False) -> str:
        raw = self.raw.get(key)
        if raw is None:
            raise self.error(key, "is required, as {env: VARIABLE} or {file: PATH}")
        return self.resolve(raw, key, f"upstream {key} of route {self.route!r}", header=header)

    def resolve(self, raw: Any, key: str, what: str, *, header: bool) -> str:
        try:
            text = read_secret(parse_secret_ref(raw, what=what), what=what, environ=self.environ)
        except LoadError as exc:
            raise exc.located(field=f"{self.where}.{key}") from None
        if header and not HEADER_VALUE.fullmatch(text):
            raise self.error(
                key, f"{what} holds characters an HTTP header cannot carry (printable ASCII only)"
            )
        return text
