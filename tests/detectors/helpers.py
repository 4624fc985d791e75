"""What the detector tests share: alphabets and generators, the contexts an alert carries
secrets in, the check that a detector replaces exactly the secret, the checks of what a
scrub leaves (`leaked`, `survives`, `unchanged`), and the check that its work grows
linearly."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from tests.growth import assert_linear_growth

scrub_all = Scrubber(list(DETECTORS))

# Single-line contexts an alert carries probe lines in (see CONTEXTS below).
LINE_CONTEXTS = ("log line", "json", "json escaped once", "json escaped twice")


def leaked(secret: str, text: str) -> bool:
    """Whether `secret` survives a scrub with every detector; the scrubbed text must pass a
    guard of the same detectors (a label is never found again)."""
    out = scrub_all(text)[0]
    assert scrub_all.first_hit(out) is None, out
    return secret in out


def survives(value: str, text: str, *names: str) -> bool:
    """Whether `value` survives a scrub with the detectors `names` (default: all)."""
    scrubber = Scrubber(list(names)) if names else scrub_all
    return value in scrubber(text)[0]


def unchanged(text: str, *names: str) -> bool:
    """Whether a scrub with the detectors `names` (default: all) leaves `text` as it is."""
    scrubber = Scrubber(list(names)) if names else scrub_all
    return scrubber(text) == (text, 0)


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"


def chars(alphabet: str, size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(
        alphabet=alphabet, min_size=size, max_size=size if max_size is None else max_size
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Instance:
    """A generated secret in the form it is written (`text`) and the part of it that a
    detector must replace (`secret`, which occurs in `text` exactly once)."""

    text: str
    secret: str

    def scrubbed(self, label: str) -> str:
        return self.text.replace(self.secret, label)


# --- Contexts an alert carries secrets in --------------------------------------------------


def _json_escaped(levels: int) -> Callable[[str], str]:
    def wrap(value: str) -> str:
        text = json.dumps({"msg": "upstream rejected the request", "detail": value, "n": 3})
        for _ in range(levels):
            text = json.dumps(text)[1:-1]
        return text

    return wrap


CONTEXTS: dict[str, Callable[[str], str]] = {
    "log line": lambda s: (
        f"2024-05-01T12:00:00.123Z app[4242]: ERROR call failed with {s} (retry 3/5)"
    ),
    "stack trace": lambda s: (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/client.py", line 42, in send\n'
        f'    raise AuthError("rejected: {s}")\n'
        f"app.errors.AuthError: rejected: {s}"
    ),
    "sql error": lambda s: (
        f'ERROR:  invalid input syntax for type uuid: "{s}" at character 42\n'
        f"STATEMENT:  SELECT id FROM sessions WHERE token = '{s}' LIMIT 1"
    ),
    "http headers": lambda s: f"HTTP/1.1 401 Unauthorized\r\nX-Debug: {s}\r\nContent-Length: 0\r\n",
    "curl command line": lambda s: (
        f"curl -sf -m 10 -H 'X-Request: {s}' https://api.example.com/v1/health -o /dev/null"
    ),
    "env dump": lambda s: (
        f"PATH=/usr/local/bin:/usr/bin\nHOME=/var/lib/nagios\nUPSTREAM={s}\nLANG=C"
    ),
    "yaml": lambda s: f"spec:\n  replicas: 2\n  upstream: {s}\n  timeout: 10s\n",
    "kubernetes manifest": lambda s: (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: prod\n"
        f'type: Opaque\nstringData:\n  upstream: "{s}"\n'
    ),
    "url query string": lambda s: f"GET https://api.example.com/v1/check?q={s}&verbose=1 -> 403",
    "key=value": lambda s: f"check=api status=401 upstream={s} latency=0.12s",
    "json": _json_escaped(0),
    "json escaped once": _json_escaped(1),
    "json escaped twice": _json_escaped(2),
}

# Contexts a secret with line breaks or spaces (PEM blocks, headers) can be written in.
ONE_LINE_ONLY = {"url query string", "key=value", "curl command line", "http headers"}


def contexts_for(instance: Instance) -> list[str]:
    multi_line = "\n" in instance.text
    return [name for name in CONTEXTS if not (multi_line and name in ONE_LINE_ONLY)]


@st.composite
def in_context(
    draw: st.DrawFn, instances: st.SearchStrategy[Instance], label: str
) -> tuple[str, str, str]:
    """(alert text, the same text with the secret replaced by `label`, the secret)."""
    instance = draw(instances)
    wrap = CONTEXTS[draw(st.sampled_from(contexts_for(instance)))]
    return wrap(instance.text), wrap(instance.scrubbed(label)), instance.secret


def fragments(secret: str, elsewhere: str = "") -> list[str]:
    """Pieces of `secret` that must not survive: its runs of 6+ characters of [A-Za-z0-9]
    (context escaping never changes those), but for short words such as PEM armour's and
    for pieces that also occur `elsewhere` (the text around the secret)."""
    pieces, run = [], []
    for char in secret + " ":
        if char.isascii() and char.isalnum():
            run.append(char)
            continue
        piece = "".join(run)
        if len(piece) >= 6 and not (piece.isalpha() and len(piece) <= 12):
            if piece not in elsewhere:
                pieces.append(piece)
        run = []
    return pieces


def check_scrubbed_in_context(name: str, data: st.DataObject, instances) -> None:
    """The guarantee every detector gives: alone it replaces exactly the secret with its
    label; together with every other detector nothing of the secret survives."""
    text, expected, secret = data.draw(in_context(instances, DETECTORS[name].label))
    assert Scrubber([name])(text)[0] == expected
    out, _ = scrub_all(text)
    for piece in fragments(secret, expected):
        assert piece not in out


# --- Bounded work --------------------------------------------------------------------------


def assert_linear(
    find: Callable[[str], object], unit: str, count: int = 20_000, prefix: str = ""
) -> None:
    """`find` on `prefix` and `unit` repeated 4n times takes less than 8 times as long as
    with n times (see `tests.growth`)."""
    assert_linear_growth(find, lambda n: prefix + unit * n, count)
