"""The `scrub` action: replace what built-in detectors or custom patterns find inside text.

A rule applies exactly the `detectors` it lists and its `pattern` (one regex or a list), if
any; only a rule with neither applies every built-in detector. Custom matches become `label`.
"""

from __future__ import annotations

import re

from sanitizer.actions.base import BuildContext, Effect, Options, RewriteStrings
from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.errors import PolicyError
from sanitizer.policy.schema import RuleSpec, compile_regex


def compile_patterns(options: Options, label: str) -> list[tuple[re.Pattern[str], str]]:
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
        if compiled.match(""):
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
    label = options.get("label", str, "[REDACTED]", describe="the text that replaces a match")
    patterns = compile_patterns(options, label)
    options.finish()
    if names is None and not patterns:
        names = list(DETECTORS)
    try:
        scrubber = Scrubber(names or (), patterns)
    except PolicyError as exc:
        raise exc.located(rule=rule.id, field="detectors") from None
    return RewriteStrings(scrubber, keys_too=True)
