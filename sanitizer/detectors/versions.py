"""Whether a dotted quad in text is a version number rather than an IPv4 address.

A quad right after a version marker is a version: ``v2.19.5.57`` (the ``v`` not ending a
word, so ``srv10.0.0.1`` is still an address), ``version 2.19.5.57``, ``ver:``, ``release``,
``build``, ``rev``, ``firmware``, ``chart``, ``image``, ``tag``, ``package``, and
``upgraded``/``updated``/``bumped``/``downgraded``/``rolled back``, each optionally followed
by ``to`` or ``from`` (then up to two of `` :=``). `sanitizer.detectors.network` asks for
every quad it finds.
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
# Matched on the text before a quad read backwards, so one try at the quad decides: one or
# two separators, maybe " to"/" from", a version word not glued to a letter before it; or a
# "v" right before the quad.
_VERSION_BEFORE_REVERSED = re.compile(
    r"[ :=]{1,2}(?:(?i:ot|morf) )?(?i:"
    + "|".join(re.escape(word[::-1]) for word in sorted(VERSION_WORDS, key=len, reverse=True))
    + r")(?![A-Za-z])|[vV](?![A-Za-z])"
)
_VERSION_LOOKBACK = max(map(len, VERSION_WORDS)) + len(" from") + 2
# The two characters right before a quad that follows one of those words: a word's last
# letter or a separator, then a separator. Checked first, as a set lookup.
_VERSION_TAILS = frozenset(
    a + b
    for a in {
        *"oOmM :=",
        *(w[-1] for w in VERSION_WORDS),
        *(w[-1].upper() for w in VERSION_WORDS),
    }
    for b in " :="
)


# A quad after separators is a version only if a version word, "to" or "from" ends there.
_VERSION_ENDINGS = frozenset(word[-2:] for word in (*VERSION_WORDS, "to", "from"))


def may_be_version(text: str, start: int) -> bool:
    """Whether the characters right before the quad at `start` (at most four) let a version
    marker end there; `is_version` decides those that do."""
    if not start or (text[start - 1] not in "vV" and text[start - 2 : start] not in _VERSION_TAILS):
        return False
    if text[start - 1] not in "vV":
        # One or two separators, then a word's last two letters (checked exactly for ASCII;
        # other letters may match a word's case-blindly, so the expression decides).
        word_end = start - 2 if text[start - 2] in " :=" else start - 1
        ending = text[max(0, word_end - 2) : word_end]
        if ending.isascii() and ending.lower() not in _VERSION_ENDINGS:
            return False
    return True


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
