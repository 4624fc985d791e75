"""Find sensitive things inside free text: addresses, e-mails, phone numbers, secrets.

One module or package per family (`personal/`, `network`, `credentials`, `vendor_tokens`,
`assignments/`, `hostnames`), each exporting its `Detector` records; `registry` names them
all in precedence order; `normalize` reads escaped text; `prefilter` decides in one pass
which detectors can match a text; `scrubber` replaces what they find with labels.

Regular expressions only *find candidates*; anything with a checkable structure is then
checked (IP addresses with `ipaddress`-compatible rules, card numbers with Luhn). Every
expression is built so that the work per starting position is bounded (bounded repeats,
possessive quantifiers, look-behinds), which keeps the whole scan linear; cheap prechecks
skip a detector when its text cannot match (no ``@``: no e-mail). Where every match holds a
rarer character at a known place (the ``@`` of an e-mail, the first separator of a MAC
address), the expression is only tried where that character puts a start, which finds
exactly what scanning every position would.

A search is fastest when the pattern opens with a literal (the engine jumps from one
occurrence to the next), slower when it opens with a character class, and slowest when it
opens with a look-behind or a case-insensitive letter (every position is tried). So the
patterns open with the rarest literal every match contains (the first dot of an address,
the "@" of an e-mail) or a class followed by a look-behind (``[0-9](?<![0-9]{2})`` rather
than ``(?<![0-9])[0-9]``).
"""

from sanitizer.detectors.base import Detector, Span
from sanitizer.detectors.network import find_ipv4, find_ipv6
from sanitizer.detectors.registry import DETECTORS
from sanitizer.detectors.scrubber import Scrubber

__all__ = ["DETECTORS", "Detector", "Scrubber", "Span", "find_ipv4", "find_ipv6"]
