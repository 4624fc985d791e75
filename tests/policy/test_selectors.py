"""Selectors: JMESPath expressions that name places.

The correspondence checked against `jmespath.search` (the reference):

    [get(doc, p) for p in compile_selector(e).find(doc)]
        == flatten(jmespath.search(e, doc), projection_depth(e))

where `flatten(v, 0)` is `[v]` (or `[]` when `v` is null) and `flatten(v, n)` concatenates
`flatten(x, n - 1)` over the items of the list `v`, so nulls are dropped at the leaves
(`find` also names object keys whose value is null, so that `drop` can remove them; those are
left out of the comparison). The
projection depth is how many projection layers the result has, read statically off the AST:
each projection (`[*]`, `.*`, `[?...]`, `[]`, slice) wraps its right-hand side in one more
list layer; an index on a projected list removes one; a field on a projected list is null;
flatten leaves `max(1, n - 1)` layers; a slice of a plain value (`a[0][1:3]`, which jmespath
does not project) counts as one layer. Order is jmespath's, except that an expression with a
negative slice step yields its places in document order (compared here as multisets).
Expressions whose search raises in jmespath (a type error inside a filter condition) are only
checked for `find` not raising and for well-formed places.
"""

from __future__ import annotations

import json
import re
import timeit
from typing import Any

import jmespath
import jmespath.exceptions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jmespath.parser import Parser

from sanitizer.errors import PolicyError
from sanitizer.policy.jmespath_ast import MAX_NESTING
from sanitizer.policy.selectors import Selector, Wildcard, compile_selector, format_path
from sanitizer.policy.tree import Path

KEYS = ["a", "b", "c", "x.y"]
FIELDS = ["a", "b", "c", '"x.y"']
CONDITIONS = [
    "b == 'p'",
    "b",
    "!b",
    "b > `0`",
    "b < 'q'",
    "@ == `1`",
    "a.b",
    "b && c",
    "b || c",
    "c != `null`",
    "type(@) == 'object'",
    "length(@) > `1`",
    "contains(@, 'p')",
    '"x.y" == `true`',
    "a[?b]",
    "b == `0`",
    "b != `false`",
    "!@",
    "@ == `[1, true]`",
    "a[0] == b",
    "b.c || `1`",
    "b[1:] == c",
    "b >= c",
]

MISSING = object()


def get(doc: Any, path: Path) -> Any:
    for step in path:
        if isinstance(step, str):
            if not isinstance(doc, dict) or step not in doc:
                return MISSING
        elif not isinstance(doc, list) or not 0 <= step < len(doc):
            return MISSING
        doc = doc[step]
    return doc


def projection_depth(node: Any, depth: int = 0) -> int:
    """Projection layers of the result of `node` applied to a value with `depth` layers."""
    kind = node["type"]
    children = node["children"]
    if kind in ("field", "literal"):
        return 0
    if kind in ("current", "identity"):
        return depth
    if kind in ("subexpression", "index_expression", "pipe"):
        for child in children:
            depth = projection_depth(child, depth)
        return depth
    if kind == "index":
        return max(depth - 1, 0)
    if kind == "slice":
        return depth if depth > 0 else 1
    if kind == "flatten":
        return max(1, projection_depth(children[0], depth) - 1)
    if kind in ("projection", "filter_projection"):
        base = projection_depth(children[0], depth)
        return 1 + projection_depth(children[1], max(base - 1, 0))
    if kind == "value_projection":
        projection_depth(children[0], depth)
        return 1 + projection_depth(children[1], 0)
    raise AssertionError(kind)


def flatten(value: Any, depth: int) -> list[Any]:
    if value is None:
        return []
    if depth == 0:
        return [value]
    assert isinstance(value, list), (value, depth)
    return [leaf for item in value for leaf in flatten(item, depth - 1)]


def reverses(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if node["type"] == "slice":
        step = node["children"][2]
        return step is not None and step < 0
    return any(reverses(child) for child in node["children"])


def document_order(doc: Any, path: Path) -> tuple[int, ...]:
    key = []
    for step in path:
        key.append(step if isinstance(step, int) else list(doc).index(step))
        doc = doc[step]
    return tuple(key)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# --- strategies ----------------------------------------------------------------------------

scalars = (
    st.none() | st.booleans() | st.integers(-2, 3) | st.sampled_from(["", "p", "q"]) | st.just(1.5)
)


def json_values(depth: int) -> st.SearchStrategy[Any]:
    """Dense containers over a four-key alphabet, so that most generated expressions hit."""
    if depth == 0:
        return scalars
    inner = json_values(depth - 1)
    objects = st.dictionaries(st.sampled_from(KEYS), inner, min_size=3, max_size=4)
    return st.one_of(scalars, st.lists(inner, min_size=1, max_size=3), objects, objects)


documents = json_values(4)
numbers = st.integers(-3, 3)
opt_number = st.none() | numbers


@st.composite
def slices(draw: st.DrawFn) -> str:
    start, stop = draw(opt_number), draw(opt_number)
    step = draw(st.sampled_from([None, 1, 2, -1, -2]))
    text = f"{'' if start is None else start}:{'' if stop is None else stop}"
    return f"[{text}]" if step is None else f"[{text}:{step}]"


bracket_steps = st.one_of(
    numbers.map(lambda i: f"[{i}]"),
    st.just("[*]"),
    st.just("[]"),
    st.sampled_from(CONDITIONS).map(lambda c: f"[?{c}]"),
    slices(),
)
steps = st.one_of(st.sampled_from(FIELDS).map(lambda f: "." + f), st.just(".*"), bracket_steps)


def chains(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    heads = st.one_of(
        st.sampled_from(FIELDS),
        st.just("@"),
        st.just("*"),
        bracket_steps,
        inner.map(lambda e: f"({e})"),
    )
    return st.builds(lambda h, s: h + "".join(s), heads, st.lists(steps, max_size=3))


expressions = st.recursive(
    chains(st.sampled_from(FIELDS)),
    lambda inner: st.lists(chains(inner), min_size=1, max_size=3).map(" | ".join),
    max_leaves=6,
)


def quoted(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else json.dumps(key)


@st.composite
def guided(draw: st.DrawFn) -> tuple[Any, str]:
    """A document, and an expression built by walking it, so that most expressions hit.

    The walk follows one representative element through each projection; pipes and
    parentheses are put in at random, which changes the meaning but keeps the text valid.
    """
    doc = draw(documents)
    value, text, after_pipe = doc, "", True
    for _ in range(draw(st.integers(1, 5))):
        if text and not after_pipe and draw(st.integers(0, 3)) == 0:
            if draw(st.booleans()):
                text, after_pipe = text + " | ", True
            else:
                text = f"({text})"
        if isinstance(value, dict) and value:
            key = draw(st.sampled_from(list(value)))
            if draw(st.integers(0, 3)) == 0:
                text += "*" if after_pipe else ".*"
            else:
                text += quoted(key) if after_pipe else "." + quoted(key)
            value = value[key]
        elif isinstance(value, list) and value:
            kind = draw(st.sampled_from(["index", "index", "star", "flatten", "filter", "slice"]))
            position = draw(st.integers(0, len(value) - 1))
            if kind == "index":
                index = draw(st.sampled_from([position, position - len(value)]))
                text += f"[{index}]"
            elif kind == "star":
                text += "[*]"
            elif kind == "flatten":
                text += "[]"
            elif kind == "filter":
                text += f"[?{draw(st.sampled_from(CONDITIONS))}]"
            else:
                text += draw(slices())
            value = value[position]
            if kind == "flatten" and isinstance(value, list) and value:
                value = value[0]
        else:
            break
        after_pipe = False
    if not text or text.endswith("| "):
        text += "@"
    return doc, text


def check_places(selector: Selector, doc: Any) -> list[Path]:
    places = selector.find(doc)
    assert isinstance(places, list)
    assert len(set(places)) == len(places), places
    for place in places:
        assert isinstance(place, tuple)
        assert all(isinstance(s, str) or (isinstance(s, int) and s >= 0) for s in place)
        assert get(doc, place) is not MISSING, place
        assert get(doc, place) is not None or isinstance(place[-1], str), place
    assert places == sorted(places, key=lambda p: document_order(doc, p))
    return places


# --- properties ----------------------------------------------------------------------------


def assert_agrees(expression: str, doc: Any) -> None:
    selector = compile_selector(expression)
    places = check_places(selector, doc)
    try:
        result = jmespath.search(expression, doc)
    except (jmespath.exceptions.JMESPathError, TypeError):
        # A filter condition jmespath cannot evaluate (a function given the wrong type, or
        # jmespath 1.1 ordering a string against a number): find() selected and raised nothing.
        return
    ast = Parser().parse(expression).parsed
    expected = flatten(result, projection_depth(ast))
    found = [v for v in (get(doc, p) for p in places) if v is not None]
    if reverses(ast):
        assert sorted(map(canonical, found)) == sorted(map(canonical, expected))
    else:
        assert found == expected


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=expressions, doc=documents)
def test_find_agrees_with_jmespath(expression: str, doc: Any) -> None:
    assert_agrees(expression, doc)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=guided())
def test_find_agrees_with_jmespath_on_guided_expressions(case: tuple[Any, str]) -> None:
    doc, expression = case
    assert_agrees(expression, doc)


@settings(max_examples=300, deadline=None)
@given(expression=expressions, doc=documents)
def test_static_path_names_the_place(expression: str, doc: Any) -> None:
    selector = compile_selector(expression)
    path = selector.static_path
    if path is None:
        return
    value = get(doc, path)
    absent = value is MISSING or (value is None and (not path or isinstance(path[-1], int)))
    assert selector.find(doc) == ([] if absent else [path])


@settings(max_examples=300, deadline=None)
@given(expression=expressions)
def test_literal_keys_are_the_written_field_names(expression: str) -> None:
    written = {f.strip('"') for f in re.findall(r'"x\.y"|[a-z]+', expression)}
    written -= {"length", "contains", "type", "object", "null", "true", "false", "p", "q"}
    assert compile_selector(expression).literal_keys == written


paths = st.lists(st.sampled_from(KEYS) | st.integers(0, 5) | st.text(max_size=6), max_size=5).map(
    tuple
)


@settings(max_examples=300, deadline=None)
@given(path=paths)
def test_format_path_reads_back_as_the_same_path(path: Path) -> None:
    shown = frozenset(s for s in path if isinstance(s, str))
    text = format_path(path, shown)
    selector = compile_selector(text)
    assert selector.static_path == path


@settings(max_examples=300, deadline=None)
@given(path=paths)
def test_format_path_hides_keys_not_shown(path: Path) -> None:
    text = format_path(tuple(f"secret-{s}" if isinstance(s, str) else s for s in path), frozenset())
    assert "secret" not in text
    assert text.count("*") == sum(isinstance(s, str) for s in path)


REFUSED = [
    "length({e})",
    "{e}.length(@)",
    "[{e}, a]",
    "{e}.[a, b]",
    "{{k: {e}}}",
    "{e}.{{k: a}}",
    "{e} || a",
    "{e} && a",
    "!{e}",
    "{e} == a",
    "{e}[?b] < `1`",
    "`1`",
    "'x'",
    "&{e}",
    "{e} | `[]`",
    "{e}[*].abs(b)",
]


@settings(max_examples=300, deadline=None)
@given(template=st.sampled_from(REFUSED), expression=expressions)
def test_unsupported_constructs_are_refused_with_a_suggestion(
    template: str, expression: str
) -> None:
    text = template.format(e=expression)
    Parser().parse(text)  # valid JMESPath: refused for what it means, not for its syntax
    with pytest.raises(PolicyError) as caught:
        compile_selector(text)
    message = caught.value.problem
    assert re.search(r"instead|e\.g\. `", message), message


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="ab.*[]?|&!=<>'`\"(){}:,-+0123@ ", max_size=14) | st.text())
def test_compile_raises_only_policy_error(text: str) -> None:
    try:
        selector = compile_selector(text)
    except PolicyError as error:
        if len(text) >= 4:
            assert error.message.count(text) <= 1
        assert "e.g." in error.message or "instead" in error.message
        return
    check_places(selector, {"a": [{"b": 1}], "b": "p"})


# --- examples ------------------------------------------------------------------------------

NAGIOS = {
    "NOTIFICATIONTYPE": "PROBLEM",
    "HOSTNAME": "db-07.prod.corp.example",
    "HOSTADDRESS": "10.20.30.47",
    "HOSTSTATE": "UP",
    "SERVICEDESC": "Disk /var",
    "SERVICESTATE": "CRITICAL",
    "SERVICEOUTPUT": "DISK CRITICAL - free space: /var 412 MB (4% inode=91%)",
    "LONGSERVICEOUTPUT": "",
    "CONTACTEMAIL": "oncall@corp.example",
    "perfdata": [
        {"label": "/var", "value": 412, "warn": 1024, "crit": 512},
        {"label": "/tmp", "value": 2048, "warn": 1024, "crit": 512},
    ],
    "hostgroups": {"db-07.prod.corp.example": {"role": "primary"}, "db-08": {"role": None}},
    **{f"CUSTOM_{i}": f"value {i}" for i in range(45)},
}

VICTOROPS = {
    "message_type": "CRITICAL",
    "entity_id": "db-07.prod.corp.example/Disk /var",
    "entity_display_name": "Disk /var on db-07",
    "state_message": "DISK CRITICAL - free space: /var 412 MB",
    "vo_annotate.u.Runbook": "https://wiki.corp.example/runbooks/disk",
    "vo_annotate.s.Note": "call the DBA",
    "vo_annotate.i.Graph": "https://grafana.corp.example/d/abc",
}


@pytest.mark.parametrize(
    ("expression", "doc", "places"),
    [
        ("HOSTNAME", NAGIOS, [("HOSTNAME",)]),
        ("SERVICEOUTPUT", NAGIOS, [("SERVICEOUTPUT",)]),
        ("NOPE", NAGIOS, []),
        ("perfdata[*].label", NAGIOS, [("perfdata", 0, "label"), ("perfdata", 1, "label")]),
        ("perfdata[?value < crit].label", NAGIOS, [("perfdata", 0, "label")]),
        ("perfdata[-1]", NAGIOS, [("perfdata", 1)]),
        ("perfdata[::-1].label", NAGIOS, [("perfdata", 0, "label"), ("perfdata", 1, "label")]),
        ("perfdata[*].label | [1]", NAGIOS, [("perfdata", 1, "label")]),
        (
            "hostgroups.*.role",
            NAGIOS,
            [("hostgroups", "db-07.prod.corp.example", "role"), ("hostgroups", "db-08", "role")],
        ),
        ("hostgroups.*", NAGIOS, [("hostgroups", k) for k in NAGIOS["hostgroups"]]),
        ('"vo_annotate.u.Runbook"', VICTOROPS, [("vo_annotate.u.Runbook",)]),
        ('@."vo_annotate.s.Note"', VICTOROPS, [("vo_annotate.s.Note",)]),
        ("@", VICTOROPS, [()]),
        (
            "a[].b",
            {"a": [[{"b": 1}, {"b": None}], {"b": 2}, 3]},
            [("a", 0, 0, "b"), ("a", 0, 1, "b"), ("a", 1, "b")],
        ),
        ("a[0][1:3]", {"a": [[1, None, 3]]}, [("a", 0, 2)]),
        ("a[0][1:3] | [0]", {"a": [[1, None, 3]]}, []),
        ("a[*].b[*] | [0]", {"a": [{"b": []}, {"b": [1]}]}, []),
        ("(a[*].b)[1]", {"a": [{"b": 5}, {}, {"b": 6}]}, [("a", 2, "b")]),
        ("(a[*]).b", {"a": [{"b": 5}]}, []),
        ("a[?length(@) > `1`]", {"a": ["xy", 7, [1, 2], None]}, [("a", 0), ("a", 2)]),
    ],
)
def test_examples(expression: str, doc: Any, places: list[Path]) -> None:
    assert compile_selector(expression).find(doc) == places


def test_filter_that_jmespath_cannot_evaluate_selects_nothing() -> None:
    doc = {"a": [{"b": ""}, {"b": 2}, {"b": "x"}]}
    with pytest.raises(TypeError):
        jmespath.search("a[?b > `0`]", doc)
    assert compile_selector("a[?b > `0`]").find(doc) == [("a", 1)]
    assert compile_selector("a[?length(b) > `0`].b").find(doc) == [("a", 2, "b")]


def test_null_valued_keys_are_places_but_null_list_items_are_not() -> None:
    assert compile_selector("a").find({"a": None}) == [("a",)]
    assert compile_selector("a.b").find({"a": {"b": None}}) == [("a", "b")]
    assert compile_selector("hosts.*").find({"hosts": {"db-07": None}}) == [("hosts", "db-07")]
    assert compile_selector("a[*]").find({"a": [None, 1]}) == [("a", 1)]
    assert compile_selector("a[0]").find({"a": [None, 1]}) == []


def test_static_path_and_literal_keys() -> None:
    selector = compile_selector('alerts[0]."vo_annotate.s.Note"')
    assert selector.static_path == ("alerts", 0, "vo_annotate.s.Note")
    assert selector.literal_keys == {"alerts", "vo_annotate.s.Note"}
    assert compile_selector("a | [2].b").static_path == ("a", 2, "b")
    assert compile_selector("@").static_path == ()
    for dynamic in ["a[-1]", "a[*].b", "a.*", "a[?b].c", "a[]", "a[0:1]"]:
        assert compile_selector(dynamic).static_path is None
    assert compile_selector("alerts[?state == 'CRITICAL'].host").literal_keys == {
        "alerts",
        "state",
        "host",
    }


def test_format_path() -> None:
    shown = frozenset({"alerts", "host", "vo_annotate.s.Note"})
    assert format_path(("alerts", 0, "host"), shown) == "alerts[0].host"
    assert format_path(("vo_annotate.s.Note",), shown) == '"vo_annotate.s.Note"'
    assert format_path(("hostgroups", "db-07.prod", "host"), shown) == "*.*.host"
    assert format_path((0, "host"), shown) == "[0].host"
    assert format_path((), shown) == "@"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("length(HOSTNAME)", "length()"),
        ("[HOSTNAME, HOSTADDRESS]", "list several expressions instead"),
        ("{h: HOSTNAME}", "list several expressions instead"),
        ("HOSTNAME || HOSTADDRESS", "list several expressions instead"),
        ("SERVICESTATE == 'CRITICAL'", "inside a filter"),
        ("a[::0]", "step cannot be 0"),
        ("a[?nosuch(@)]", "unknown function nosuch()"),
        ("a[?length(@, @)]", "takes 1 argument"),
        ("host-name", "quote keys"),
        ("vo_annotate.u.Runbook[", "ends too early"),
        ("", "empty"),
    ],
)
def test_refusal_messages(expression: str, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_selector(expression)
    assert words in caught.value.problem
    located = caught.value.located(rule="r1", field="select")
    assert located.message.startswith("rule 'r1', field 'select': ")


def test_selector_is_immutable() -> None:
    selector = compile_selector("a.b")
    with pytest.raises(AttributeError):
        selector.expression = "c"  # type: ignore[misc]
    assert selector == compile_selector("a.b")


def test_single_field_speed() -> None:
    selector = compile_selector("HOSTNAME")
    projection = compile_selector("perfdata[*].label")
    number = 200_000
    for name, sel in [("HOSTNAME", selector), ("perfdata[*].label", projection)]:
        seconds = timeit.timeit(lambda sel=sel: sel.find(NAGIOS), number=number)
        print(f"find {name!r} on a {len(NAGIOS)}-field payload: {seconds / number * 1e9:.0f} ns")


# --------------------------------------------------------------------- patterns and depth


def _agrees_with_pattern(place: Path, pattern: tuple) -> bool:
    if len(place) < len(pattern):
        return False
    for step, expected in zip(place, pattern, strict=False):
        if expected is Wildcard.INDEX:
            if not isinstance(step, int):
                return False
        elif expected is Wildcard.KEY:
            if not isinstance(step, str):
                return False
        elif step != expected or type(step) is not type(expected):
            return False
    return True


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=guided())
def test_every_place_found_begins_with_the_selector_pattern(case: tuple[Any, str]) -> None:
    doc, expression = case
    selector = compile_selector(expression)
    for place in selector.find(doc):
        assert _agrees_with_pattern(place, selector.pattern), (place, selector.pattern)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=expressions, doc=documents)
def test_every_place_found_begins_with_the_pattern_on_any_expression(
    expression: str, doc: Any
) -> None:
    selector = compile_selector(expression)
    for place in selector.find(doc):
        assert _agrees_with_pattern(place, selector.pattern), (place, selector.pattern)


@pytest.mark.parametrize(
    ("expression", "pattern"),
    [
        ("a.b[0].c", ("a", "b", 0, "c")),
        ("alerts[?state == 'CRITICAL'].host", ("alerts", Wildcard.INDEX, "host")),
        ("labels.*.value", ("labels", Wildcard.KEY, "value")),
        ("a[-1].b", ("a", Wildcard.INDEX, "b")),
        ("a[].b", ("a", Wildcard.INDEX)),
        ("(a[*].b)[0]", ("a", Wildcard.INDEX, "b")),
        ("a.b | c", ("a", "b", "c")),
        ("@", ()),
        ('"vo_annotate.s.Note"', ("vo_annotate.s.Note",)),
    ],
)
def test_pattern_examples(expression: str, pattern: tuple) -> None:
    assert compile_selector(expression).pattern == pattern


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 400, 5000, 50_000])
@pytest.mark.parametrize(
    "make",
    [lambda n: "a" + "[?b" * n + "]" * n, lambda n: "a" + "[?[b" * n + "]]" * n],
    ids=["filters", "lists-in-filters"],
)
def test_a_selector_nested_too_deeply_is_a_policy_error_saying_so(make, depth) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_selector(make(depth))
    assert f"nested more than {MAX_NESTING} levels" in caught.value.problem


@pytest.mark.parametrize("depth", [5000, 50_000])
def test_parentheses_deeper_than_the_parser_goes_are_a_policy_error(depth) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_selector("(" * depth + "a" + ")" * depth)
    assert "nested" in caught.value.problem


def test_a_selector_at_the_nesting_limit_still_compiles() -> None:
    assert compile_selector("a" + "[0]" * (MAX_NESTING - 2)).static_path is not None


def test_the_pattern_of_chained_indexes_names_every_index():
    # jmespath parses "([0][0]).*" as one index expression with two indexes after its base.
    selector = compile_selector("([0][0]).*")
    assert selector.pattern == (0, 0, Wildcard.KEY)
    assert selector.find([[{"a": 1}]]) == [(0, 0, "a")]
