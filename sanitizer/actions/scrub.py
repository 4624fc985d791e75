"""The `scrub` action: replace what built-in detectors or custom patterns find inside text.

A rule applies exactly the `detectors` it lists and its `pattern` (one regex or a list), if
any; only a rule with neither applies every built-in detector. Custom matches become `label`.

`internal_hostname` finds names under the special-use suffixes and under the policy's
`internal_domains`; with `key` (a key declared under `keys:`) each name becomes its keyed
pseudonym (``host-3f9a1c2b7d.corp.example``) instead of ``[HOST]``.

Numbers are scanned through their text (``str`` of an int, ``repr`` of a float): a card
number sent as a JSON number is still one. A number in which something is found becomes
the scrubbed string; any other number is left as it is.

A value is read with the name of its field, as a JSON object writes them (``"password":
"two words"``): a field's name is a label like any other (`Scrubber.in_field`).
"""

from __future__ import annotations

from sanitizer.actions.base import REDACTED, RewriteStrings, scan_numbers
from sanitizer.detectors import DETECTORS, Detector, Scrubber
from sanitizer.detectors.hostnames import hostname_detector
from sanitizer.errors import PolicyError
from sanitizer.policy.building import BuildContext, Options
from sanitizer.policy.effects import Effect
from sanitizer.policy.regex import PolicyRegex
from sanitizer.policy.schema import RuleSpec, compile_regex


def compile_patterns(options: Options, label: str) -> list[tuple[PolicyRegex, str]]:
    raw = options.get(
        "pattern", (str, list), None, describe="a regular expression or a list of them"
    )
    if raw is None:
        return []
    sources = [raw] if isinstance(raw, str) else raw
    patterns = []
    for index, source in enumerate(sources):
        field = "pattern" if isinstance(raw, str) else f"pattern[{index}]"
        if not isinstance(source, str) or not source:
            raise options.error("must be a non-empty regular expression string", field=field)
        compiled = compile_regex(source, rule=options.rule_id, field=field)
        if compiled.search(""):
            raise options.error(
                "matches the empty string, so it would match everywhere; make it require "
                "at least one character",
                field=field,
            )
        patterns.append((compiled, label))
    return patterns


def build_scrub(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    names = options.get(
        "detectors", list, None, describe=f"a list of detector names from: {', '.join(DETECTORS)}"
    )
    label = options.get("label", str, REDACTED, describe="the text that replaces a match")
    patterns = compile_patterns(options, label)
    key = context.key(options).material if options.has("key") else None
    options.finish()
    if names is None and not patterns:
        names = list(DETECTORS)
    hosts = hostname_detector(context.internal_domains, key)
    if key is not None and hosts.name not in (names or ()):
        raise options.error(
            f"is only used by the {hosts.name} detector (keyed host-name pseudonyms); add "
            f"{hosts.name} to 'detectors' or remove 'key'",
            field="key",
        )
    chosen: list[str | Detector] = [hosts if name == hosts.name else name for name in names or ()]
    try:
        scrubber = Scrubber(chosen, patterns)
    except PolicyError as exc:
        raise exc.located(rule=rule.id, field="detectors") from None
    # Keys the policy names are policy text; those the scrubber would not change anyway
    # need no scan when they turn up as keys.
    unchanged = frozenset(key for key in context.policy_keys if not scrubber(key)[1])
    return RewriteStrings(
        scrubber,
        scalars=scan_numbers(scrubber),
        keys_too=True,
        skip_keys=unchanged,
        details=(f"detectors: {', '.join(scrubber.names)}",),
        in_field=scrubber.in_field,
    )
