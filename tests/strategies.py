"""Hypothesis strategies shared by the property tests: JSON payloads, secrets and policies."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from sanitizer.detectors.network import VERSION_WORDS

FIELDS = ["a", "b", "c", "HOSTNAME", "SERVICEOUTPUT", "entity_id", "message_type"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)

json_docs = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)

json_objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_docs, max_size=6)

simple_paths = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3).map(".".join)

selectors = st.one_of(
    simple_paths,
    st.builds(lambda p, q: f"{p}[*].{q}", simple_paths, st.sampled_from(FIELDS)),
    st.builds(lambda p, q: f"{p}.*.{q}", simple_paths, st.sampled_from(FIELDS)),
    st.builds(lambda p, i: f"{p}[{i}]", simple_paths, st.integers(-3, 3)),
    st.builds(lambda p, q: f"{p}[?{q}].{q}", simple_paths, st.sampled_from(FIELDS)),
    st.builds(lambda p: f"{p}[]", simple_paths),
)

ipv4 = st.ip_addresses(v=4)
ipv6 = st.ip_addresses(v=6).filter(lambda ip: ip != ipaddress.IPv6Address("::"))
addresses = ipv4 | ipv6

separators = st.sampled_from([" ", ", ", "; ", "(", ")", "\n", "=", " [", "] ", '"', "'", "<", ">"])
# Ordinary words around values. Not the words that say a version follows ("upgrade 1.2.3.4"
# is a version, not an address, by the network detector's documented choice).
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).filter(
    lambda word: word not in VERSION_WORDS
)

# Secrets that are easy to recognise: nothing in the engine could produce them by accident.
canaries = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=12, max_size=16).map(
    lambda s: "CANARY" + s
)


def _rule(action: str, index: int, select: str | None) -> str:
    where = f", select: {select!r}" if select else ""
    options = {
        "drop": "",
        "allow": "",
        "redact": "",
        "truncate": ", max_length: 5",
        "mask_ip": ", mode: pseudonym, key: a",
        "hash": ", key: a",
        "tokenize": ", key: b",
        "scrub": "",
    }[action]
    if action in ("drop", "allow") and not select:
        where = ", keys: '^[a-c]$'"
    return f"  - {{id: r{index}, action: {action}{where}{options}}}\n"


@st.composite
def policies(draw: st.DrawFn) -> str:
    """The rules section of a generated policy: 0-6 rules of any action."""
    count = draw(st.integers(0, 6))
    rules = []
    for index in range(count):
        action = draw(
            st.sampled_from(
                ["drop", "allow", "redact", "truncate", "mask_ip", "hash", "tokenize", "scrub"]
            )
        )
        select = draw(st.none() | selectors)
        rules.append(_rule(action, index, select))
    return "".join(rules) or "  []\n"


def luhn_complete(body: str) -> str:
    """`body` with the check digit that makes it Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str(-total % 10)


# JMESPath expressions over the fields a, b and c, as `when:` and `expr:` write them.
EXPRESSION_FIELDS = ["a", "b", "c"]
EXPRESSION_LEAVES = [
    *EXPRESSION_FIELDS,
    *["a.b", "a.b.a", "@", "`0`", "`1`", "`0.0`", "`true`", "`false`", "`null`"],
    *["`[]`", '`{"a": 1}`', "'x'", "''", '`"\\n"`', "'CRITICAL'"],
]
# join() separators whose text generated code must escape: braces, quotes, backslashes,
# `\\N{...}`, line separators and NUL.
JOIN_SEPARATORS = ["'/'", "''", "' / '", '`"\\n"`', "'{'", "'}}{x}'", '`"\\\\N{x}"`']
JOIN_SEPARATORS += ['`"\'\\""`', '`"\\u2028\\u0000"`']


def _compound_expressions(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    separators = st.sampled_from([*JOIN_SEPARATORS, "`1`", "a"])
    return st.one_of(
        st.builds(lambda a, b: f"({a} == {b})", inner, inner),
        st.builds(lambda a, b: f"({a} != {b})", inner, inner),
        st.builds(lambda a: f"!{a}", inner),
        st.builds(lambda a, b: f"({a} && {b})", inner, inner),
        st.builds(lambda a, b: f"({a} || {b})", inner, inner),
        st.builds(lambda a, b, c: f"{a} || {b} || {c}", inner, inner, inner),
        st.builds(lambda a, b, c: f"{a} && {b} || {c}", inner, inner, inner),
        st.builds(lambda a: f"to_string({a})", inner),
        st.builds(lambda s, a, b: f"join({s}, [{a}, {b}])", separators, inner, inner),
        st.builds(lambda s, a: f"join({s}, [{a}])", separators, inner),
        st.builds(lambda s, a: f"join({s}, {a})", separators, inner),
        st.builds(lambda a, b: f"[{a}, {b}]", inner, inner),
    )


expressions = st.recursive(st.sampled_from(EXPRESSION_LEAVES), _compound_expressions, max_leaves=6)
