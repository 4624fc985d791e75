"""What the text actions share: one effect that rewrites every string at its places.

An action is built once from its rule (`build(rule, options, context) -> Effect`, see
`sanitizer.policy.building`) and the effect is then called for every alert with the places
the rule selected (or `None` when the rule selects nothing explicitly, which means "every
string in the payload"); see `sanitizer.policy.effects` for what an effect must answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanitizer.policy.effects import Effect, Footprint, Fused, Report, Where
from sanitizer.policy.tree import (
    FieldTransform,
    Path,
    get_at,
    number_text,
    rewrite_strings,
    set_at,
)

REDACTED = "[REDACTED]"
"""What replaces a value (`redact`) or a match (`scrub`) unless the rule says otherwise."""

TextTransform = Callable[[str], tuple[str, int]]


def scan_numbers(transform: TextTransform) -> Callable[[Any], tuple[Any, int]]:
    """A `RewriteStrings` scalar handler: `transform` applied to a number's decimal text;
    the result (a string) replaces the number only when something was found in it."""

    def scan(value: Any) -> tuple[Any, int]:
        new, count = transform(number_text(value))
        return (new, count) if count else (value, 0)

    return scan


@dataclass(frozen=True)
class RewriteStrings:
    """Apply a text transform to every string at or under each selected place.

    With no explicit selection the whole payload is walked; `keys_too` then also rewrites
    object keys (an address or e-mail used as a key is still an address or e-mail).
    With `in_field`, a value that has a field name is rewritten by it, with that name (see
    `rewrite_strings`). `details` are the lines a rule summary shows about the transform.
    """

    fn: TextTransform
    scalars: Callable[[Any], tuple[Any, int]] | None = None
    keys_too: bool = False
    skip_keys: frozenset[str] = frozenset()
    details: tuple[str, ...] = ()
    in_field: FieldTransform | None = None

    def footprint(self) -> Footprint:
        return Footprint(rewrites_keys=self.keys_too)

    def describe(self) -> list[str]:
        return list(self.details)

    def text_at(self, place: Path, text: str) -> tuple[str, int]:
        """One string at `place`: read with its field's name when the transform reads one."""
        if self.in_field is not None and place and type(name := place[-1]) is str:
            return self.in_field(name, text, True)
        return self.fn(text)

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if places is None:
            return rewrite_strings(
                doc,
                (),
                self.fn,
                report,
                keys_too=self.keys_too,
                scalars=self.scalars,
                skip_keys=self.skip_keys,
                in_field=self.in_field,
            )
        for place in places:
            top = type(doc) is dict  # (a rule selecting the root `@` may replace `doc`)
            if top and len(place) == 1 and place[0] in doc:
                value = doc[place[0]]  # what `get_at` gives for a top-level key, quicker
            else:
                value = get_at(doc, place)
            if type(value) is str:  # the common case, without a walk
                new, count = self.text_at(place, value)
                if count:
                    report(place, count)
                    if top and len(place) == 1:
                        doc[place[0]] = new
                    else:
                        doc = set_at(doc, place, new)
                continue
            new = rewrite_strings(
                value,
                place,
                self.fn,
                report,
                keys_too=False,
                scalars=self.scalars,
                skip_keys=frozenset(),
                in_field=self.in_field,
            )
            if new is not value:
                doc = set_at(doc, place, new)
        return doc

    def finding(self, where: Where) -> Effect | None:
        """Top-level fields (`select: [a, b]`) fused (`SelfFinding`)."""
        if where.fields is None:
            return None
        return _RewriteFields(self, where.find, where.fields)


@dataclass(frozen=True)
class _RewriteFields(Fused[RewriteStrings]):
    """`RewriteStrings` over top-level fields: a string value is rewritten where it is; any
    other value present goes through `RewriteStrings` as its one place."""

    fields: tuple[Path, ...]

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if type(doc) is not dict:
            return self.generic(doc, report)
        text_at = self.effect.text_at
        for place in self.fields:
            key = place[0]
            if key not in doc:
                continue
            value = doc[key]
            if type(value) is str:
                new, count = text_at(place, value)
                if count:
                    report(place, count)
                    doc[key] = new
            else:
                doc = self.effect(doc, [place], report)
        return doc
