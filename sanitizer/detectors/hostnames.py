"""`internal_hostname`: host names under special-use or private suffixes.

A name is reported when its last labels are one of `SPECIAL_USE_SUFFIXES` (``.internal``,
``.local``, ``.cluster.local``, ``.ec2.internal``, ...) or a domain the policy lists under
``internal_domains:``, and at least one label stands to the left of that suffix:
``db-7.payments.corp.example`` is found under ``corp.example``, the bare ``corp.example``
is not (it is the public-facing domain), and neither is ``www.example.com``.

Choices made where the right answer is not obvious:

* A name is a run of labels (letters of any script, digits, ``_``, ``-``) joined by single
  dots, ending with the suffix; matching ignores case. It must not go on after the suffix
  (``db.local.example.com`` is public, ``db.localhost`` is not under ``.local``); a trailing
  FQDN dot is allowed and kept outside the span. Leading hyphens are not part of a name.
* ``localhost.localdomain`` (and any ``localhost`` under a suffix) reveals nothing and is
  left alone. A name right after a single ``/`` is a file path segment (``/etc/rc.local``)
  and is left alone too, unless it ends in one of the policy's own domains: those are never
  allowed out, wherever they appear. ``//`` (a URL's authority) is not a path.
* Replacement: without a key, the whole name becomes ``[HOST]``. With a key it becomes
  ``host-<10 hex>`` followed by the suffix as written: ``db-7.payments.corp.example`` →
  ``host-3f9a1c2b7d.corp.example``, ``redis.ns.svc.cluster.local`` →
  ``host-…​.cluster.local``. The hex is the start of HMAC-SHA256, under a subkey derived from
  the policy key with HKDF-SHA256 (so it never equals a `hash` of the same text), of the
  lowercased full name. The suffix kept is the longest one the name ends with
  (``.compute.internal`` rather than ``.internal``), so the public-facing part stays
  readable and the same host always reads the same under one key.
* A name whose part left of the suffix is exactly one label ``host-`` + 10 lowercase hex
  digits is a pseudonym made here and is never reported: a guard with `internal_hostname`
  passes on scrubbed output, and scrubbing twice changes nothing. A real host of that exact
  shape would pass too; it would also reveal nothing a pseudonym does not.

Work is bounded: the suffixes are searched with a pattern that opens with a literal dot,
and each name is read backwards once from its suffix; names found never overlap, so the
whole scan is linear in the text.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sanitizer.detectors.base import Detector, Span, case_blind, run_length_before

__all__ = ["DETECTORS", "LABEL", "SPECIAL_USE_SUFFIXES", "hostname_detector"]

LABEL = "[HOST]"
SPECIAL_USE_SUFFIXES = (
    "internal",
    "local",
    "localdomain",
    "lan",
    "home.arpa",
    "corp",
    "intranet",
    "private",
    "consul",
    "svc",
    "cluster.local",
    "ec2.internal",
    "compute.internal",
)
_PSEUDONYM_HEX = 10
_PSEUDONYM = re.compile(rf"host-[0-9a-f]{{{_PSEUDONYM_HEX}}}")
_SUBKEY_INFO = b"alert-sanitizer internal_hostname v1"
_SUMMARY = (
    "host names under .internal, .local, .lan, .corp, .svc, .cluster.local and other "
    "private suffixes, plus the policy's internal_domains"
)

# The characters a name is made of, read backwards from just before its suffix's dot.
_NAME_CHARS_BACKWARDS = re.compile(r"[\w.-]*+")


def _suffix_pattern(suffixes: Iterable[str]) -> re.Pattern[str]:
    """A dot and one suffix, not followed by more of a name (a trailing dot may follow).

    The look-ahead for the suffixes' first letters is implied by the alternatives (a class
    folds case as a literal does) and turns most dots of a text away before they are tried
    (a plugin output's numbers and addresses are full of dots): 3.4 -> 1.7 µs on the
    bench's 384-character Nagios output."""
    ordered = sorted(set(suffixes), key=len, reverse=True)
    alternatives = "|".join(re.escape(s) for s in ordered)
    firsts = "".join(sorted({re.escape(s[0]) for s in ordered}))
    return re.compile(rf"\.(?=(?i:[{firsts}]))(?i:{alternatives})(?![\w-]|\.[\w-])")


class _HostNames:
    """The finder (and, with a key, the replacement) for one set of suffixes."""

    def __init__(self, domains: tuple[str, ...], subkey: bytes | None) -> None:
        self._own = frozenset(domains)
        self._suffixes = _suffix_pattern((*SPECIAL_USE_SUFFIXES, *domains))
        self._subkey = subkey
        # Alerts repeat their host names: pseudonyms are remembered (in memory only).
        self.replace = functools.lru_cache(maxsize=4096)(self._pseudonym)

    def _names(self, text: str) -> list[tuple[int, int, int]]:
        """``(start, suffix start, end)`` of every name."""
        names = []
        for match in self._suffixes.finditer(text):
            dot, end = match.span()
            run = text[dot - run_length_before(text, dot, _NAME_CHARS_BACKWARDS) : dot]
            # The name starts after the last empty label ("..") and any leading dots and
            # hyphens: no label starts with either.
            stem = run[run.rfind("..") + 2 :] if ".." in run else run
            stem = stem.lstrip(".-")
            if not stem or stem.endswith("."):
                continue
            start = dot - len(stem)
            if stem.lower() == "localhost" or _PSEUDONYM.fullmatch(stem):
                continue
            before = text[max(0, start - 2) : start]
            in_path = before.endswith("/") and before != "//"
            if in_path and not self._is_own(text[dot + 1 : end]):
                continue
            names.append((start, dot, end))
        return names

    def _is_own(self, suffix: str) -> bool:
        suffix = suffix.lower()
        return any(suffix == own or suffix.endswith("." + own) for own in self._own)

    def find(self, text: str) -> list[Span]:
        if "." not in text:
            return []
        return [(start, end) for start, _, end in self._names(text)]

    def _pseudonym(self, written: str) -> str:
        """The pseudonym of one found name; `[HOST]` for anything else (a merged span)."""
        names = self._names(written)
        if self._subkey is None or len(names) != 1 or names[0][::2] != (0, len(written)):
            return LABEL
        _, dot, _ = names[0]
        digest = hmac.new(self._subkey, written.lower().encode("utf-8"), hashlib.sha256)
        return f"host-{digest.hexdigest()[:_PSEUDONYM_HEX]}{written[dot:]}"


def _subkey(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SUBKEY_INFO).derive(key)


@functools.lru_cache(maxsize=64)
def _configured(domains: tuple[str, ...], subkey: bytes | None) -> Detector:
    names = _HostNames(domains, subkey)
    replace = names.replace if subkey is not None else None
    suffixes = sorted({*SPECIAL_USE_SUFFIXES, *domains})
    anchor = r"\." + "(?:" + "|".join(case_blind(*suffixes)) + ")"
    return Detector("internal_hostname", LABEL, names.find, _SUMMARY, replace, (anchor,))


def hostname_detector(domains: Iterable[str] = (), key: bytes | None = None) -> Detector:
    """The `internal_hostname` detector for a policy: its `internal_domains` (lowercase DNS
    names, validated at load) join the special-use suffixes; with `key` (a policy key's
    material) a found name becomes its keyed pseudonym instead of `[HOST]`."""
    wanted = tuple(sorted({domain.lower() for domain in domains}))
    return _configured(wanted, None if key is None else _subkey(key))


DETECTORS = (hostname_detector(),)
