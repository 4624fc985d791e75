"""Whether a dotted quad in text is a version number rather than an IPv4 address.

A quad right after a version marker is a version: ``v2.19.5.57`` (the ``v`` not ending a
word, so ``srv10.0.0.1`` is still an address), ``version 2.19.5.57``, ``ver:``, ``release``,
``build``, ``rev``, ``firmware``, ``fw``, ``chart``, ``image``, ``tag``, ``package``, and
``upgraded``/``updated``/``bumped``/``downgraded``/``rolled back``, each optionally followed
by ``to`` or ``from``, then up to twelve of `` :="'(>`` and backslashes (a JSON or YAML
key reads as one: ``"version": "1.2.3.4"``, in escaped JSON too; so does an XML tag:
``<version>1.2.3.4</version>``). ``Version``,
``Release``, ``Build``, ``Firmware`` and ``Tag`` also count at the end of a camelCase name
(``appVersion: 1.2.3.4``, ``FileVersion 10.0.1.2``, ``AssemblyVersion("1.0.0.0")``). A
package manager's version operator marks one too: ``~>``, or ``==``, ``>=``, ``<=``,
``!=``, ``~=`` glued to a package name on its left (``foo==1.2.3.4``, not
``ip == 10.0.0.1``), then up to two spaces or quotes (``gem 'rails', '~> 7.0.4.3'``).
A Debian revision number glued to ``ubuntu`` marks one too: Ubuntu's backports are versioned
``8.0.35-0ubuntu0.22.04.1`` (an ``apt`` or ``check_apt`` output lists them).
`sanitizer.detectors.network` asks for every quad it finds.
"""

from __future__ import annotations

import functools
import re

__all__ = ["VERSION_WORDS", "is_version", "may_be_version", "may_be_version_after"]

# A version number written like a quad: "v2.19.5.57", "version: 2.19.5.57", "chart 2.19.5.57",
# "upgraded to 2.19.5.57". The words that say a version follows, optionally with "to" or
# "from" after them, then one or two separators.
VERSION_WORDS = (
    "version",
    "ver",
    "release",
    "build",
    "rev",
    "firmware",
    "fw",
    "chart",
    "image",
    "tag",
    "package",
    "pkg",
    "upgrade",
    "upgraded",
    "update",
    "updated",
    "bump",
    "bumped",
    "downgrade",
    "downgraded",
    "rolled back",
)
# The words that also count at the end of a camelCase name (``appVersion``, ``imageTag``);
# not "update" and the like, which end names of times and addresses (``lastUpdate``).
_CAMEL_WORDS = ("version", "release", "build", "firmware", "tag")
# What may stand between a version word and its quad: spaces, ":", "=", quotes (a JSON or
# YAML key: `"version": "`, also escaped once or twice: `\\"version\\": \\"`) and an
# opening bracket (`AssemblyVersion("`) or the end of a tag (`<version>1.2.3.4</version>`
# in a Maven or NuGet file), at most twelve.
_SEPARATORS = " :=\"'(>\\"
# Matched on the text before a quad read backwards, so one try at the quad decides: one to
# twelve separators, maybe " to"/" from", a version word not glued to a letter before it (or
# capitalised after a lower-case letter: camelCase); a "v" right before the quad; or a
# version operator, then at most two spaces or quotes: "~>", or one glued to a package name
# on its left ("foo==", "foo>="; not "ip == 10.0.0.1").
_VERSION_BEFORE_REVERSED = re.compile(
    r"[ :=\"'(>\\]{1,12}+(?:(?i:ot|morf) )?(?:(?i:"
    + "|".join(re.escape(word[::-1]) for word in sorted(VERSION_WORDS, key=len, reverse=True))
    + r")(?![A-Za-z])|(?:"
    + "|".join(
        re.escape(word.capitalize()[::-1]) for word in sorted(_CAMEL_WORDS, key=len, reverse=True)
    )
    + r")(?=[a-z]))|[vV](?![A-Za-z])|[ \"']{0,2}+(?:=[=<>!~](?=[\w.-])|>~)|(?i:utnubu)[0-9]"
)
_VERSION_LOOKBACK = max(map(len, VERSION_WORDS)) + len(" from") + 12
# The two characters right before a quad that follows one of those markers: a word's last
# letter, a separator or an operator's character, then a separator or the ">" of "~>".
# Checked first, as a set lookup.
_VERSION_TAILS = frozenset(
    a + b
    for a in {
        *"oOmM=<>!~",
        *_SEPARATORS,
        *(w[-1] for w in VERSION_WORDS),
        *(w[-1].upper() for w in VERSION_WORDS),
    }
    for b in _SEPARATORS + ">"
)
_OPERATOR_CHARS = frozenset("<>!~")


# A quad after separators is a version only if a version word, "to" or "from" ends there.
_VERSION_ENDINGS = frozenset(word[-2:] for word in (*VERSION_WORDS, "to", "from"))


def may_be_version(text: str, start: int) -> bool:
    """Whether the characters right before the quad at `start` (at most four) let a version
    marker end there; `is_version` decides those that do."""
    if not start or text[start - 1] in "vV":
        return bool(start)
    if text[start - 2 : start] not in _VERSION_TAILS:
        return text[start - 4 : start].lower() == "untu"  # "0ubuntu0.22.04.1"
    window = text[max(0, start - 4) : start]
    if "==" in window or not _OPERATOR_CHARS.isdisjoint(window):
        return True  # an operator: the expression decides
    # Separators, then a word's last two letters (checked exactly for ASCII; other letters
    # may match a word's case-blindly, so the expression decides, as it does when the
    # separators fill the window).
    ending = window.rstrip(_SEPARATORS)[-2:]
    if len(ending) < 2 or not ending.isascii():
        return True
    return ending.lower() in _VERSION_ENDINGS


@functools.lru_cache(maxsize=4096)
def may_be_version_after(before: str) -> bool:
    """`may_be_version` of a quad right after `before`, four characters: it reads no more,
    so alerts that repeat a line ask it once per distinct four characters."""
    return may_be_version(before, 4)


def is_version(text: str, start: int) -> bool:
    """Whether the quad at `start` follows a version marker."""
    if not may_be_version(text, start):
        return False
    before = text[max(0, start - _VERSION_LOOKBACK) : start][::-1]
    return _VERSION_BEFORE_REVERSED.match(before) is not None
