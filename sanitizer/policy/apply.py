"""A compiled policy applied to one alert: sanitized payload + audit, or a refusal. A policy
with `split:` applies to each alert of a body (`apply_all`), all of them or none.

Fail closed: the input is copied once; rules edit the copy in order, each seeing the previous
one's output. If any rule raises, or the guard finds something in the finished output, the
copy is discarded and `Refusal` is raised: there is never a partial or raw result. Audit
records and refusal messages are built from rule ids, action names, counts and paths whose
keys the policy itself names (other keys show as `*`), never from payload values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn

from sanitizer.detectors import Scrubber
from sanitizer.errors import GuardHit, Refusal, RuleFailed, SanitizerError
from sanitizer.keys import Key
from sanitizer.policy.effects import Effect, Where
from sanitizer.policy.expressions import truthy
from sanitizer.policy.memo import Memo
from sanitizer.policy.regex import PolicyRegex
from sanitizer.policy.selectors import Selector, format_path
from sanitizer.policy.split import Split, in_alert
from sanitizer.policy.tree import CONTAINERS, Path, copy_json, number_text, prune

_PATH_TEXT_CACHE = 4096
_KEY_VERDICT_CACHE = 4096
_KEY_SET_CACHE = 256


@dataclass(frozen=True)
class KeyLocator:
    """Every value whose key, at any depth, the regex finds (a search, not a full match)."""

    pattern: PolicyRegex
    # Memos (see `Memo`): whether the regex finds a key, and the matching keys of a whole
    # object by its key names in order: alerts of one kind send the same fields every time,
    # so their top level is decided by one lookup.
    _verdicts: Memo[str, bool] = field(
        default_factory=lambda: Memo(_KEY_VERDICT_CACHE), init=False, repr=False, compare=False
    )
    _by_key_set: Memo[tuple[str, ...], tuple[str, ...]] = field(
        default_factory=lambda: Memo(_KEY_SET_CACHE), init=False, repr=False, compare=False
    )

    def _learn(self, key: str) -> bool:
        """Whether the regex finds `key`, remembered: alerts of one kind repeat their keys."""
        return self._verdicts.remember(key, self.pattern.search(key) is not None)

    def matching(self, obj: dict[str, Any]) -> tuple[str, ...]:
        """The keys of `obj` the regex finds, in order (its own keys only, not nested)."""
        names = tuple(obj)
        hits = self._by_key_set.entries.get(names)
        if hits is None:
            verdicts = self._verdicts.entries
            found = tuple(
                key for key in names if (verdicts[key] if key in verdicts else self._learn(key))
            )
            hits = self._by_key_set.remember(names, found)
        return hits

    def find(self, doc: Any) -> list[Path]:
        # The engine works on its own copy, made of plain dicts and lists only.
        if type(doc) is dict and CONTAINERS.isdisjoint(map(type, doc.values())):
            return [(key,) for key in self.matching(doc)]  # a flat alert, the common case
        found: list[Path] = []
        stack: list[tuple[Any, Path]] = [(doc, ())]
        while stack:
            node, path = stack.pop()
            if type(node) is dict:
                hits = self.matching(node)
                found.extend((*path, key) for key in hits)
                if CONTAINERS.isdisjoint(map(type, node.values())):
                    continue
                for key, item in node.items():
                    if type(item) in CONTAINERS and key not in hits:
                        stack.append((item, (*path, key)))
            elif type(node) is list:
                for index, item in enumerate(node):
                    if type(item) in CONTAINERS:
                        stack.append((item, (*path, index)))
        return found


@dataclass(frozen=True)
class Locator:
    """The union of a rule's `select` expressions and its `keys` regex; built by `of`."""

    selectors: tuple[Selector, ...]
    keys: KeyLocator | None
    # When every selector is one plain top-level field (`HOSTNAME`), their places without
    # duplicates, in order: found by dict lookups, which is what most rules select.
    fields: tuple[Path, ...] | None = field(repr=False, compare=False)

    @classmethod
    def of(cls, selectors: tuple[Selector, ...], keys: KeyLocator | None) -> Locator:
        paths = [selector.static_path for selector in selectors]
        plain = keys is None and all(
            path is not None and len(path) == 1 and isinstance(path[0], str) for path in paths
        )
        fields = tuple(path for path in dict.fromkeys(paths) if path is not None)
        return cls(selectors, keys, fields if plain else None)

    def describe(self) -> list[str]:
        """Its selectors as written, then its keys regex as `keys /regex/`."""
        where = [selector.expression for selector in self.selectors]
        if self.keys is not None:
            where.append(f"keys /{self.keys.pattern.pattern}/")
        return where

    def find(self, doc: Any) -> list[Path]:
        fields = self.fields
        if fields is not None:
            if not isinstance(doc, dict):
                return []
            return [place for place in fields if place[0] in doc]
        if self.keys is None and len(self.selectors) == 1:
            return self.selectors[0].find(doc)
        if not self.selectors and self.keys is not None:
            return self.keys.find(doc)  # no duplicates, none under another: nothing to prune
        places: list[Path] = []
        for selector in self.selectors:
            places.extend(selector.find(doc))
        if self.keys is not None:
            places.extend(self.keys.find(doc))
        return prune(places)


@dataclass(frozen=True)
class CompiledRule:
    id: str
    action: str
    locator: Locator | None  # None: the action works on every string, or reads its own path
    when: Callable[[Any], Any] | None  # the compiled `when:` condition
    effect: Effect

    def describe(self) -> list[str]:
        """The rule as a summary shows it: first where it works (its selectors and `keys`
        regex, `its own path` for an effect that writes a path of its own, else `every
        string`), marked `(conditional)` when it has a `when:`; then what its effect says
        about its settings (`detectors: email, ipv4`)."""
        if self.locator is not None:
            scope = ", ".join(self.locator.describe())
        elif self.effect.footprint().writes is not None:
            scope = "its own path"
        else:
            scope = "every string"
        if self.when is not None:
            scope += "  (conditional)"
        return [scope, *self.effect.describe()]


class AuditEntry(NamedTuple):
    """One audit line: how many places one rule changed at one (value-free) path.

    A named tuple because an alert makes a dozen of these (a frozen dataclass cost ~1 µs
    each to build); its `count` field hides the tuple method of that name, unused here.
    """

    rule: str
    action: str
    path: str
    count: int  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "action": self.action, "path": self.path, "count": self.count}


@dataclass(frozen=True)
class Sanitized:
    payload: Any
    audit: tuple[AuditEntry, ...]

    def hits_by_rule(self) -> dict[str, int]:
        hits: dict[str, int] = {}
        for entry in self.audit:
            hits[entry.rule] = hits.get(entry.rule, 0) + entry.count
        return hits


def _walk_text(doc: Any) -> Iterator[tuple[Path, str]]:
    """Every string value, object key and number (as its JSON text), with its path.

    Numbers are scanned too: a card or phone number sent as a JSON number is still one.
    """
    stack: list[tuple[Any, Path]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, int | float) and not isinstance(node, bool):
            yield path, number_text(node)
        elif isinstance(node, dict):
            for key, item in node.items():
                yield (*path, key), key
                stack.append((item, (*path, key)))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                stack.append((item, (*path, index)))


_Field = tuple[str, str, bool]  # a field's name, its value's text, whether it is quoted


def _distinct_texts(doc: Any) -> tuple[dict[str, None], dict[_Field, None]]:
    """What `_walk_text` yields, without paths and each once: object keys and values that
    have no field name (the root, elements of an array of arrays), and apart from them the
    values of named fields (elements of an array under its name) with that name, which the
    guard reads together (`Scrubber.first_hit_in_field`). The guard scans these, and builds
    a path only for a text it finds something in."""
    texts: dict[str, None] = {}
    fields: dict[_Field, None] = {}
    stack: list[tuple[Any, str | None]] = [(doc, None)]
    while stack:
        node, name = stack.pop()
        kind = type(node)
        if kind is dict:
            for key, item in node.items():
                texts[key] = None
                stack.append((item, key))
        elif kind is str:
            if name is None:
                texts[node] = None
            else:
                fields[(name, node, True)] = None
        elif kind is list:
            stack.extend((item, name) for item in node)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            if name is None:
                texts[number_text(node)] = None
            else:
                fields[(name, number_text(node), False)] = None
    return texts, fields


_Step = tuple[str, str, Callable[[Any], Any] | None, Callable[[Any], list[Path]] | None, Effect]
_new_tuple = tuple.__new__


def _step(rule: CompiledRule) -> _Step:
    """What `apply` reads of a rule: its effect fused with its locator where the effect has a
    quicker way to find its own places (`SelfFinding`), else its locator's `find`."""
    locator = rule.locator
    if locator is None:
        return rule.id, rule.action, rule.when, None, rule.effect
    finding = getattr(rule.effect, "finding", None)
    keys = locator.keys
    where = Where(
        locator.find,
        locator.fields,
        keys.matching if keys is not None and not locator.selectors else None,
    )
    fused = None if finding is None else finding(where)
    if fused is not None:
        return rule.id, rule.action, rule.when, None, fused
    return rule.id, rule.action, rule.when, locator.find, rule.effect


_Block = tuple[frozenset[str] | None, tuple[_Step, ...]]


def _blocks(rules: tuple[CompiledRule, ...], steps: tuple[_Step, ...]) -> tuple[_Block, ...]:
    """The steps in runs, in order. A run of two or more unconditional rules whose effects
    each leave an object as it is unless a top-level key is there (`inert_without`, the
    renames of lower-case names) carries those keys: `apply` skips the whole run when an
    object has none of them. Every other step is in a run carrying None."""
    blocks: list[_Block] = []
    keys: list[str] = []
    run: list[_Step] = []
    plain: list[_Step] = []
    for rule, step in zip(rules, steps, strict=True):
        inert = getattr(rule.effect, "inert_without", None)
        key = None if inert is None or rule.when is not None else inert()
        if key is not None:
            keys.append(key)
            run.append(step)
            continue
        if len(run) > 1:
            if plain:
                blocks.append((None, tuple(plain)))
            blocks.append((frozenset(keys), tuple(run)))
            plain = []
        else:
            plain.extend(run)
        keys, run = [], []
        plain.append(step)
    if len(run) > 1:
        if plain:
            blocks.append((None, tuple(plain)))
        blocks.append((frozenset(keys), tuple(run)))
    elif plain or run:
        blocks.append((None, (*plain, *run)))
    return tuple(blocks)


@dataclass(frozen=True)
class Policy:
    """A compiled policy: immutable, safe to share between threads and requests."""

    name: str
    rules: tuple[CompiledRule, ...]
    guard: Scrubber | None
    guard_names: tuple[str, ...]
    shown_keys: frozenset[str]
    keys: tuple[Key, ...] = field(repr=False)
    # Keys the policy names in which the guard finds nothing: not scanned again per alert.
    guard_clean_keys: frozenset[str]
    # `split:`: a body holds a list of alerts, each sanitized on its own (None: one alert).
    split: Split | None = None
    # SHA-256 of the policy's text (hex): names the exact policy a route runs (metrics, console).
    digest: str = ""
    # The policy's text, from which a worker process compiles its own copy (`loader.recompiled`).
    text: str = field(default="", repr=False, compare=False)
    # Audit texts of recent paths, a memo (see `Memo`): alerts of one kind repeat their keys.
    _path_texts: Memo[Path, str] = field(
        default_factory=lambda: Memo(_PATH_TEXT_CACHE), init=False, repr=False, compare=False
    )
    # Per rule, what `apply` reads of it, unpacked once: id, action, its condition, its
    # locator's `find` and its effect.
    _steps: tuple[_Step, ...] = field(init=False, repr=False, compare=False)
    # The same steps in runs (see `_blocks`), as `apply` walks them.
    _blocks: tuple[_Block, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps = tuple(_step(rule) for rule in self.rules)
        object.__setattr__(self, "_steps", steps)
        object.__setattr__(self, "_blocks", _blocks(self.rules, steps))

    def __repr__(self) -> str:
        return f"Policy(name={self.name!r}, rules={len(self.rules)})"

    def apply_all(self, doc: Any, *, then: Callable[[Any], Any] | None = None) -> list[Sanitized]:
        """Sanitize every alert of a body: `doc` itself, or with `split:` each element with
        the envelope's fields (`Split.elements`), in order; `then` (an upstream contract's
        check) runs on each sanitized payload and gives the payload kept. Raises `Refusal` for
        the whole body when it cannot be split or any one alert is refused (with `split:` the
        message says which alert): a caller gets every alert or none."""
        alerts = [doc] if self.split is None else self.split.elements(doc)
        results = []
        for index, alert in enumerate(alerts, 1):
            try:
                result = self.apply(alert)
                if then is not None:
                    result = Sanitized(then(result.payload), result.audit)
            except Refusal as exc:
                if self.split is None:
                    raise
                raise in_alert(exc, index, len(alerts)) from None
            results.append(result)
        return results

    def apply(self, doc: Any) -> Sanitized:
        """Sanitize one alert, or raise `Refusal` (never anything else, never a partial result).
        With `split:`, `doc` is one alert of a body (see `apply_all`)."""
        work = copy_json(doc)
        counts: dict[tuple[str, str, str], int] = {}
        texts = self._path_texts.entries
        remember = self._path_texts.remember
        shown = self.shown_keys
        rule_id = action = ""  # the rule being applied: `report` reads them when called

        def report(path: Path, count: int) -> None:
            text = texts.get(path)
            if text is None:
                text = remember(path, format_path(path, shown))
            entry = (rule_id, action, text)
            counts[entry] = counts.get(entry, 0) + count

        for inert, block in self._blocks:
            if inert is not None and type(work) is dict and work.keys().isdisjoint(inert):
                continue  # each rule of the run would leave this object as it is
            for rule_id, action, when, find, effect in block:
                failure = None
                try:
                    # A condition's usual answer is a boolean: `truthy` only for anything else.
                    if (
                        when is None
                        or (verdict := when(work)) is True
                        or (verdict is not False and truthy(verdict))
                    ):
                        work = effect(work, None if find is None else find(work), report)
                except Refusal:
                    raise
                except SanitizerError as exc:
                    failure = exc.message
                except Exception as exc:  # fail closed on anything a rule raises
                    failure = f"{type(exc).__name__} while applying it"
                if failure is not None:
                    raise RuleFailed(
                        f"rule {rule_id!r} ({action}) failed on this alert: {failure}; "
                        "the alert was not forwarded",
                        rule=rule_id,
                    )
        if self.guard is not None:
            self._check_guard(work)
        # tuple.__new__ builds each entry without the named tuple's Python-level __new__.
        audit = [_new_tuple(AuditEntry, (*entry, n)) for entry, n in counts.items()]
        return Sanitized(work, tuple(audit))

    def _check_guard(self, work: Any) -> None:
        assert self.guard is not None
        clean = self.guard_clean_keys
        first_hit = self.guard.first_hit
        texts, fields = _distinct_texts(work)
        for text in texts:
            if text in clean:
                continue
            hit = first_hit(text)
            if hit is not None:
                self._refuse(work, text, hit)
        first_hit_in_field = self.guard.first_hit_in_field
        for name, text, quoted in fields:
            hit = first_hit_in_field(name, text, quoted)
            if hit is not None:
                self._refuse(work, text, hit)

    def _refuse(self, work: Any, text: str, hit: str) -> NoReturn:
        path = next(path for path, seen in _walk_text(work) if seen == text)
        raise GuardHit(
            f"guard: detector {hit!r} matched the finished alert at "
            f"{format_path(path, self.shown_keys)}; add a rule that removes or masks "
            "it, the alert was not forwarded",
            rule="guard",
        )
