"""Loading a policy from a YAML file: the I/O half of policy loading.

Reads the file, refuses YAML that could be read two ways (duplicate keys), resolves key
references from the environment or files, then hands everything to the pure compiler.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sanitizer.actions import ACTIONS
from sanitizer.errors import PolicyError
from sanitizer.keys import Key, load_key
from sanitizer.policy.apply import Policy
from sanitizer.policy.compile import compile_policy
from sanitizer.policy.schema import parse_policy


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "found a duplicate key", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(text: str, *, source: str) -> Any:
    """Parse YAML strictly; errors name the line and column, not the content."""
    try:
        # _StrictLoader is a SafeLoader subclass: no arbitrary objects are built.
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506  # nosec B506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise PolicyError(
            f"is not valid YAML: {exc.problem or 'parse error'}{where}", source=source
        ) from None
    except yaml.YAMLError:
        raise PolicyError("is not valid YAML", source=source) from None
    except RecursionError:
        raise PolicyError(
            "is nested too deeply to read; a policy needs only a few levels of nesting",
            source=source,
        ) from None


def policy_from_text(
    text: str, *, source: str = "<policy>", environ: Mapping[str, str] | None = None
) -> Policy:
    doc = read_yaml(text, source=source)
    try:
        spec = parse_policy(doc)
        keys: dict[str, Key] = {
            name: load_key(name, ref, environ=environ) for name, ref in spec.keys.items()
        }
        policy = compile_policy(spec, keys, ACTIONS)
    except PolicyError as exc:
        raise exc.located(source=source) from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return dataclasses.replace(policy, digest=digest, text=text)


def recompiled(policy: Policy) -> Policy:
    """The same policy compiled afresh from its text and its loaded keys, reading no file and
    no environment: a forked worker process (`sanitizer.proxy.policyworker`) sanitizes with
    objects no other thread has touched. A policy compiled without its text is returned as
    it is."""
    if not policy.text:
        return policy
    spec = parse_policy(read_yaml(policy.text, source=policy.name))
    fresh = compile_policy(spec, {key.name: key for key in policy.keys}, ACTIONS)
    return dataclasses.replace(fresh, digest=policy.digest, text=policy.text)


def load_policy(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Policy:
    """Load and compile the policy at `path`, or raise `PolicyError` saying what to fix."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError("no such file; check the path", source=source) from None
    except OSError as exc:
        raise PolicyError(
            f"cannot be read ({exc.strerror or type(exc).__name__})", source=source
        ) from None
    except UnicodeDecodeError:
        raise PolicyError("is not UTF-8 text", source=source) from None
    return policy_from_text(text, source=source, environ=environ)
