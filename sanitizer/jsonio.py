"""Strict JSON in and out, shared by the proxy and the CLI.

The standard library parser accepts things that two readers can disagree on (duplicate keys),
that are not JSON (NaN, Infinity, 1e400 read as infinity) or that cannot be re-encoded (lone
surrogates). Here each is refused with an `InputError` whose message names the problem and
never quotes the input.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sanitizer.errors import BodyTooLarge, InputError

DEFAULT_MAX_BYTES = 1_048_576
DEFAULT_MAX_DEPTH = 64
MAX_INT_DIGITS = 4300  # CPython's own int-string conversion limit


def _refuse_constant(name: str) -> Any:
    raise InputError(f"{name} is not valid JSON; send numbers as finite decimals or strings")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError("a number is too large for a double; send it as a string")
    return value


def _parse_int(text: str) -> int:
    digits = len(text) - (text[0] == "-")
    if digits > MAX_INT_DIGITS:
        raise InputError(f"an integer has more than {MAX_INT_DIGITS} digits; send it as a string")
    return int(text)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise InputError(
            "an object has a duplicate key; readers disagree on which value counts, "
            "so send each key once"
        )
    return result


def _check_string(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                "a string holds a lone UTF-16 surrogate escape; send valid Unicode"
            ) from None


def _check_tree(doc: Any, max_depth: int) -> None:
    """Depth and string checks, iteratively so a deep document cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise InputError(f"nesting is deeper than the limit of {max_depth} levels")
            for key, item in value.items():
                _check_string(key)
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1))
                elif isinstance(item, str):
                    _check_string(item)
        elif isinstance(value, list):
            if depth > max_depth:
                raise InputError(f"nesting is deeper than the limit of {max_depth} levels")
            for item in value:
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1))
                elif isinstance(item, str):
                    _check_string(item)
        elif isinstance(value, str):
            _check_string(value)


# Built once: `json.loads` and `json.dumps` with options build a new decoder or encoder on
# every call, which cost as much as parsing a typical alert. Both are safe to share between
# threads, as the json module's own default ones are.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique_pairs,
    parse_constant=_refuse_constant,
    parse_float=_parse_float,
    parse_int=_parse_int,
)
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _may_break_limits(text: str, max_depth: int, *, decoded: bool) -> bool:
    """Whether the parsed document needs `_check_tree`. In text `decoded` from UTF-8 bytes a
    lone surrogate can only come from a `\\u` escape (the decoder refuses encoded ones);
    nesting deeper than `max_depth` needs more than `max_depth` brackets. Most alerts have
    neither, and two counts in C cost a fraction of the walk."""
    if not decoded and not text.isascii():
        return True
    return "\\u" in text or text.count("{") + text.count("[") > max_depth


def parse(
    data: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    require_object: bool = False,
) -> Any:
    """Parse one JSON document strictly, or raise `InputError` naming the problem."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise BodyTooLarge(f"the body is larger than the limit of {max_bytes} bytes")
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the body is not valid UTF-8 (first bad byte at offset {exc.start})"
            ) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        raise InputError("the body starts with a byte-order mark; send plain UTF-8")
    if not text.strip():
        raise InputError("the body is empty; send one JSON document")
    try:
        doc = _DECODER.decode(text)
    except InputError:
        raise
    except RecursionError:
        raise InputError(f"nesting is deeper than the limit of {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except ValueError:
        raise InputError(
            "the body holds a number that cannot be read; send it as a string"
        ) from None
    if _may_break_limits(text, max_depth, decoded=isinstance(data, bytes | bytearray)):
        _check_tree(doc, max_depth)
    if require_object and not isinstance(doc, dict):
        raise InputError("the body must be a JSON object ({...}) for this endpoint")
    return doc


def dumps(doc: Any, *, indent: int | None = None) -> str:
    """Serialize a sanitized document; UTF-8 text, no NaN, stable separators."""
    if not indent:
        return _ENCODER.encode(doc)
    return json.dumps(
        doc, ensure_ascii=False, allow_nan=False, indent=indent, separators=(",", ": ")
    )


def type_name(value: Any) -> str:
    """A JSON value's kind as messages name it ("a string", "a list"): never the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
