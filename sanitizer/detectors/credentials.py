"""Credentials in text: URL userinfo, Authorization headers, JWTs, AWS keys, PEM private keys.

Choices made where the right answer is not obvious:

  masked; compact ``YYYYmmddHHMMSS[fff]`` timestamps are skipped too.
* url_credentials replaces the whole userinfo, with or without a password: a lone user
  part in ``https://TOKEN@host`` is often a token. Up to the last ``@`` of the authority,
  so a password containing ``@`` does not leak its tail.
* bearer replaces the value after ``Bearer`` (8+ characters) or after an
  ``Authorization:`` header name and its scheme; for Digest and AWS4 the rest of the line.
  aws_access_key also replaces the value after a ``secret_access_key`` style label.
* A PEM private-key block without its END line (a truncated alert) is masked to the end of
  the text.
"""

from __future__ import annotations

import bisect
import re

from sanitizer.detectors.base import Detector, Span, union

__all__ = ["DETECTORS"]

_URL_CREDENTIALS_RE = re.compile(r"(?<=://)[^\s/?#\[\]@]++(?:@[^\s/?#\[\]@]*+)*(?=@)")


def _find_url_credentials(text: str) -> list[Span]:
    if "/" not in text or "://" not in text:
        return []
    return [m.span() for m in _URL_CREDENTIALS_RE.finditer(text)]


_TOKEN68 = r"[A-Za-z0-9\-._~+/]++=*+"
_BEARER_RE = re.compile(rf"(?i)\bbearer\s++(?=[A-Za-z0-9\-._~+/]{{8}})({_TOKEN68})")
_SCHEMES = "basic|bearer|token|negotiate|ntlm|apikey"
_LISTED_SCHEMES = "digest|aws4-hmac-sha256"
_AUTHORIZATION_RE = re.compile(
    r"(?i)\b(?:proxy-)?authorization[\"']?\s*+[:=]\s*+[\"']?(?:"
    rf"(?:{_LISTED_SCHEMES})\s++([A-Za-z0-9\-._~+/=][^\r\n]*+)"
    rf"|(?:{_SCHEMES})\s++({_TOKEN68})"
    rf"|(?!(?:{_SCHEMES}|{_LISTED_SCHEMES})\b)({_TOKEN68}))"
)


def _find_bearer(text: str) -> list[Span]:
    lowered = text.lower()  # a precheck only: lower() may change lengths, so no spans from it
    if "bearer" not in lowered and "authorization" not in lowered:
        return []
    spans = [m.span(1) for m in _BEARER_RE.finditer(text)]
    for match in _AUTHORIZATION_RE.finditer(text):
        group = next(index for index in (1, 2, 3) if match.group(index) is not None)
        spans.append(match.span(group))
    return union(spans)


_B64URL = "[A-Za-z0-9_-]"
_JWT_RE = re.compile(
    rf"(?<!{_B64URL})eyJ{_B64URL}++\.{_B64URL}++\.{_B64URL}*+(?:\.{_B64URL}++){{0,2}}+"
)


def _find_jwt(text: str) -> list[Span]:
    if "J" not in text or "eyJ" not in text:
        return []
    return [m.span() for m in _JWT_RE.finditer(text)]


_AWS_KEY_ID_RE = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_AWS_SECRET_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:aws[_-]?)?secret[_-]?access[_-]?key[\"']?\s*+[:=]\s*+[\"']?"
    r"([A-Za-z0-9/+]++=*+)"
)


def _find_aws_access_key(text: str) -> list[Span]:
    spans = []
    if ("K" in text and "AKIA" in text) or ("S" in text and "ASIA" in text):
        spans.extend(m.span() for m in _AWS_KEY_ID_RE.finditer(text))
    if "secret" in text.lower():
        spans.extend(m.span(1) for m in _AWS_SECRET_RE.finditer(text))
    return union(spans)


_PEM_BEGIN_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


def _find_pem_private_key(text: str) -> list[Span]:
    if "K" not in text or "PRIVATE KEY" not in text:
        return []
    ends = [m.span() for m in _PEM_END_RE.finditer(text)]
    end_starts = [start for start, _ in ends]
    spans: list[Span] = []
    for begin in _PEM_BEGIN_RE.finditer(text):
        if spans and begin.start() < spans[-1][1]:
            continue
        index = bisect.bisect_left(end_starts, begin.end())
        spans.append((begin.start(), ends[index][1] if index < len(ends) else len(text)))
        if index == len(ends):
            break
    return spans


# A run of 13-19 digits, or a run of 3-6 digit groups split by single spaces or dashes in
# which card numbers are then looked for, so a date or CVV printed right after the number


DETECTORS = (
    Detector("url_credentials", "[CREDENTIALS]", _find_url_credentials),
    Detector("bearer", "[TOKEN]", _find_bearer),
    Detector("jwt", "[JWT]", _find_jwt),
    Detector("aws_access_key", "[AWS_KEY]", _find_aws_access_key),
    Detector("pem_private_key", "[PRIVATE_KEY]", _find_pem_private_key),
)
