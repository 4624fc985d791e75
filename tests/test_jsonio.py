"""The strict JSON reader shared by the proxy and `sanitizer apply`."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer import jsonio
from sanitizer.errors import BodyTooLarge, InputError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_any_standard_json_document_round_trips(doc):
    assert jsonio.parse(json.dumps(doc).encode()) == doc


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": -Infinity}', "Infinity"),
        (b'{"a": 1e400}', "too large"),
        (b'{"a": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"\\udfff": 1}', "surrogate"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b'{"a": "\xed\xa0\x80"}', "UTF-8"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xef\xbb\xbf{}", "byte-order mark"),
        (b'{"a": 1', "not valid JSON"),
        (b'{"a": 1} x', "not valid JSON"),
        (b"[" * 65 + b"]" * 65, "deeper"),
        (b"[" * 100_000 + b"]" * 100_000, "deeper"),
    ],
)
def test_bad_input_is_refused_with_a_reason(body, fragment):
    with pytest.raises(InputError) as caught:
        jsonio.parse(body)
    assert fragment in caught.value.message


def test_oversize_body_is_refused_before_parsing():
    with pytest.raises(BodyTooLarge):
        jsonio.parse(b'"' + b"x" * 2000 + b'"', max_bytes=1000)


def test_nesting_at_the_limit_is_accepted():
    assert jsonio.parse(b"[" * 64 + b"]" * 64, max_depth=64) is not None


def test_an_object_can_be_required():
    with pytest.raises(InputError, match="must be a JSON object"):
        jsonio.parse(b"[1, 2]", require_object=True)


@given(st.text(min_size=8, max_size=40).filter(lambda s: s.strip()))
def test_error_messages_never_quote_the_input(secret):
    body = ('{"k": "' + secret.replace("\\", "").replace('"', "") + '", "k": 1}').encode()
    with pytest.raises(InputError) as caught:
        jsonio.parse(body)
    assert secret.replace("\\", "").replace('"', "") not in caught.value.message


# Strings that may hold lone surrogates, and documents nested up to twice a small limit.
surrogate_text = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    max_size=6,
)
nested_values = st.recursive(
    st.integers() | surrogate_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(surrogate_text, inner, max_size=3),
    max_leaves=12,
)


def _strict_reference(body: bytes, max_depth: int) -> str | None:
    """The verdict of the full tree check on every document: None when accepted, else the
    kind of refusal ("surrogate" or "nesting")."""
    try:
        doc = json.loads(body)
    except RecursionError:
        return "nesting"
    try:
        jsonio._check_tree(doc, max_depth)
    except InputError as exc:
        return "surrogate" if "surrogate" in exc.message else "nesting"
    return None


@given(nested_values, st.sampled_from([True, False]), st.integers(min_value=1, max_value=6))
def test_skipping_the_tree_check_never_admits_a_surrogate_or_too_deep_nesting(
    doc, ascii_only, max_depth
):
    body = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    expected = _strict_reference(body, max_depth)
    try:
        jsonio.parse(body, max_depth=max_depth)
    except InputError as exc:
        got = "surrogate" if "surrogate" in exc.message else "nesting"
        if "UTF-8" in exc.message:  # a raw surrogate byte sequence: refused while decoding
            return
        assert got == expected
    else:
        assert expected is None
