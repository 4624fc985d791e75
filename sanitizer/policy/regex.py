"""Policy authors' regular expressions, run by RE2: time linear in the text, whatever the pattern.

A policy's `keys:` and scrub `pattern:` are written in Python's `re` syntax and keep its
meaning: Python's own parser reads the pattern (so escapes, `(?x)` verbose mode and `(?#...)`
comments work as authors expect), and the parse tree is written out again in RE2's syntax with
Python's Unicode classes spelled out: `\\w`, `\\d` and `\\s` match the same characters as in
Python (RE2's own are ASCII-only), `.` excludes only a newline.

What RE2 cannot run is refused at load, naming the construct and the fix: look-around,
backreferences, conditionals, possessive quantifiers, atomic groups, counted repeats above
1000 (nested ones multiplied) and negated classes holding `\\W` or `\\S` (`[^\\W_]`).
Differences that stay:

- `\\b` and `\\B` are ASCII word boundaries (RE2 has no other): next to a non-ASCII letter, as
  in `über`, the boundary sits at the first ASCII letter.
- `$` (without `(?m)`) also matches before a newline inside the text, as `(?m)$` does; Python's
  matched only before a final one. Text without inner newlines is unaffected.
- `(?i)` does not fold the Turkish U+0130 and U+0131 to `i`, and folds the Kelvin sign and
  the long s to `k` and `s` even with `(?a)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Protocol

import re2

from sanitizer.errors import PolicyError

__all__ = ["PolicyRegex", "RegexMatch", "compile_policy_regex"]

_MAX_REPEAT = 1000  # RE2's limit on a counted repeat, nested ones multiplied

# Python's `\w` is `str.isalnum()` or "_": letters and numbers, exactly `\p{L}\p{N}_`.
_WORD = r"\p{L}\p{N}_"
_DIGIT = r"\p{Nd}"
# Python's `\s`: every character for which `str.isspace()` holds (tests check the list).
_SPACE = (
    r"\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)
_SURROGATES = re.compile("[\ud800-\udfff]")


class RegexMatch(Protocol):
    """What a match tells: character offsets into the text searched."""

    def start(self) -> int: ...

    def end(self) -> int: ...

    def span(self) -> tuple[int, int]: ...


@dataclass(frozen=True)
class PolicyRegex:
    """A policy author's pattern, compiled for RE2; `search`/`finditer` as `re.Pattern` has.

    Offsets are characters, not UTF-8 bytes. Text holding lone surrogates (JSON allows
    `"\\ud800"`) is searched with each one read as U+FFFD, so offsets stay the same.
    """

    pattern: str  # as the policy wrote it, like `re.Pattern.pattern`
    _compiled: Any = field(repr=False, compare=False)

    def search(self, text: str, pos: int = 0, /) -> RegexMatch | None:
        match: RegexMatch | None = self._compiled.search(_encodable(text), pos)
        return match

    def finditer(self, text: str, pos: int = 0, /) -> Iterator[RegexMatch]:
        matches: Iterator[RegexMatch] = self._compiled.finditer(_encodable(text), pos)
        return matches


def _encodable(text: str) -> str:
    if text.isascii() or not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub("\ufffd", text)


def compile_policy_regex(source: str) -> PolicyRegex:
    """Compile a policy's pattern for RE2, or raise `PolicyError` (without a location)."""
    try:
        parsed = _parser.parse(source)
    except re.error as exc:
        raise PolicyError(
            f"is not a valid regular expression ({exc.msg} at position {exc.pos}); "
            "in YAML, single-quote patterns so backslashes stay as written"
        ) from None
    flags = parsed.state.flags
    translated = _Writer(flags).sequence(parsed.data)
    options = re2.Options()
    options.log_errors = False
    try:
        casefold = "(?i)" if flags & sre.SRE_FLAG_IGNORECASE else ""
        compiled = re2.compile(casefold + translated, options)
    except re2.error as exc:
        raise PolicyError(_explain_re2_error(exc)) from None
    return PolicyRegex(source, compiled)


def _explain_re2_error(exc: Exception) -> str:
    """RE2's message (`b'code: fragment'`) as advice; the fragment is our rewriting, not shown."""
    raw = exc.args[0] if exc.args else b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    code = text.split(":", 1)[0].strip()
    if code == "invalid repetition size":
        return (
            f"uses a counted repeat {{m,n}} above {_MAX_REPEAT} (nested counts multiply), "
            "which RE2 cannot run; use + or * instead (they run in linear time)"
        )
    if code.startswith("pattern too large"):
        return (
            "is too large for RE2 (its compiled form exceeds 8 MiB); shorten counted "
            "repeats or split it into several patterns"
        )
    return f"cannot be compiled by RE2 ({code}); simplify the pattern"


def _refuse(construct: str, fix: str) -> PolicyError:
    """A construct RE2 cannot run, named with its fix (the caller adds rule and field)."""
    return PolicyError(
        f"uses {construct}, which policy regexes cannot use (they run on RE2, in time "
        f"linear in the text); {fix}"
    )


def _assertion(direction: int, *, negative: bool) -> PolicyError:
    ahead = direction > 0
    name = "look-ahead" if ahead else "look-behind"
    syntax = ("(?!" if negative else "(?=") if ahead else ("(?<!" if negative else "(?<=")
    return _refuse(
        f"a {'negative ' if negative else ''}{name} {syntax}...)",
        f"rewrite without {name}, or use a built-in detector",
    )


class _Writer:
    """Writes a Python parse tree (`re._parser`) as an RE2 pattern with the same meaning."""

    def __init__(self, flags: int) -> None:
        self.flags = flags

    def sequence(self, items: Any, flags: int | None = None) -> str:
        saved = self.flags
        if flags is not None:
            self.flags = flags
        try:
            return "".join(self.item(op, av) for op, av in items)
        finally:
            self.flags = saved

    def item(self, op: Any, av: Any) -> str:
        if op is sre.LITERAL:
            return _char(av)
        if op is sre.NOT_LITERAL:
            return f"[^{_char(av)}]"
        if op is sre.ANY:
            return r"(?s:.)" if self.flags & sre.SRE_FLAG_DOTALL else r"[^\n]"
        if op is sre.IN:
            return self.char_class(av)
        if op is sre.AT:
            return self.anchor(av)
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.sequence(branch) for branch in av[1]) + ")"
        if op is sre.SUBPATTERN:
            _group, add, remove, body = av
            flags = (self.flags | add) & ~remove
            casefold = (flags ^ self.flags) & sre.SRE_FLAG_IGNORECASE
            opening = "(?:" if not casefold else "(?i:" if add & casefold else "(?-i:"
            return opening + self.sequence(body, flags) + ")"
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            return self.repeat(op, av)
        if op is sre.ASSERT:
            raise _assertion(av[0], negative=False)
        if op is sre.ASSERT_NOT:
            raise _assertion(av[0], negative=True)
        if op is sre.GROUPREF:
            raise _refuse(
                "a backreference (\\1 or (?P=name))",
                "match the text itself again, or use a built-in detector",
            )
        if op is sre.GROUPREF_EXISTS:
            raise _refuse("a conditional group (?(1)...|...)", "write the alternatives out with |")
        if op is sre.POSSESSIVE_REPEAT:
            raise _refuse(
                "a possessive quantifier (*+, ++, ?+ or {m,n}+)",
                "drop the extra + (RE2 never backtracks, so a plain quantifier is safe)",
            )
        if op is sre.ATOMIC_GROUP:
            raise _refuse(
                "an atomic group (?>...)",
                "use a plain group (?:...) (RE2 never backtracks, so it needs none)",
            )
        raise _refuse(f"the construct {op}", "simplify the pattern")  # a future Python's

    def repeat(self, op: Any, av: Any) -> str:
        low, high, body = av
        if low > _MAX_REPEAT or (high is not sre.MAXREPEAT and high > _MAX_REPEAT):
            raise _refuse(f"a counted repeat {{m,n}} above {_MAX_REPEAT}", "use + or * instead")
        if high is sre.MAXREPEAT:
            count = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
        elif (low, high) == (0, 1):
            count = "?"
        else:
            count = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        lazy = "?" if op is sre.MIN_REPEAT else ""
        return f"(?:{self.sequence(body)}){count}{lazy}"

    def anchor(self, at: Any) -> str:
        multiline = self.flags & sre.SRE_FLAG_MULTILINE
        if at is sre.AT_BEGINNING:
            return "(?m:^)" if multiline else r"\A"
        if at is sre.AT_BEGINNING_STRING:
            return r"\A"
        if at is sre.AT_END:
            return "(?m:$)"  # see the module docstring: Python's also matched before a final \n
        if at is sre.AT_END_STRING:
            return r"\z"
        if at is sre.AT_BOUNDARY:
            return r"\b"
        if at is sre.AT_NON_BOUNDARY:
            return r"\B"
        raise _refuse(f"the anchor {at}", "simplify the pattern")

    def char_class(self, items: Any) -> str:
        """A Python class as RE2 text; `[...\\W...]` becomes an alternation of two classes."""
        negated = bool(items) and items[0][0] is sre.NEGATE
        members = items[1:] if negated else items
        ascii_only = self.flags & sre.SRE_FLAG_ASCII
        positive: list[str] = []
        complements: list[str] = []  # \W and \S: RE2 cannot write them inside a class
        for op, av in members:
            if op is sre.LITERAL:
                positive.append(_char(av))
            elif op is sre.RANGE:
                positive.append(_range(*av))
            elif op is sre.CATEGORY:
                inside, alone = _category(av, ascii_only=bool(ascii_only))
                if inside is not None:
                    positive.append(inside)
                else:
                    complements.append(alone)
            else:
                raise _refuse(f"the class member {op}", "simplify the class")
        if not complements:
            return f"[{'^' if negated else ''}{''.join(positive)}]"
        if negated:
            raise _refuse(
                "a negated class holding \\W or \\S (such as [^\\W_] or [^\\S\\n])",
                "list the characters to keep, e.g. [A-Za-z0-9] or [ \\t]",
            )
        alternatives = [f"[{''.join(positive)}]"] if positive else []
        return "(?:" + "|".join(alternatives + complements) + ")"


def _category(code: Any, *, ascii_only: bool) -> tuple[str | None, str]:
    """`\\d \\w \\s` or a negation: (its text inside a class, or None where RE2 has none; the
    class standing alone)."""
    table = _ASCII_CATEGORIES if ascii_only else _UNICODE_CATEGORIES
    if code not in table:
        raise _refuse(f"the class {code}", "simplify the class")
    return table[code]


_UNICODE_CATEGORIES: dict[Any, tuple[str | None, str]] = {
    sre.CATEGORY_DIGIT: (_DIGIT, f"[{_DIGIT}]"),
    sre.CATEGORY_NOT_DIGIT: (r"\P{Nd}", r"\P{Nd}"),
    sre.CATEGORY_WORD: (_WORD, f"[{_WORD}]"),
    sre.CATEGORY_NOT_WORD: (None, f"[^{_WORD}]"),
    sre.CATEGORY_SPACE: (_SPACE, f"[{_SPACE}]"),
    sre.CATEGORY_NOT_SPACE: (None, f"[^{_SPACE}]"),
}
# With (?a), RE2's POSIX classes are exactly Python's ASCII ones ([:space:] includes \v).
_ASCII_CATEGORIES: dict[Any, tuple[str | None, str]] = {
    code: (f"[:{name}:]", f"[[:{name}:]]")
    for code, name in (
        (sre.CATEGORY_DIGIT, "digit"),
        (sre.CATEGORY_NOT_DIGIT, "^digit"),
        (sre.CATEGORY_WORD, "word"),
        (sre.CATEGORY_NOT_WORD, "^word"),
        (sre.CATEGORY_SPACE, "space"),
        (sre.CATEGORY_NOT_SPACE, "^space"),
    )
}


def _char(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    return f"\\x{{{code:x}}}"


def _range(low: int, high: int) -> str:
    return f"{_char(low)}-{_char(high)}"
