"""The actions a rule can name, each built once from its rule into an effect."""

from __future__ import annotations

from sanitizer.actions.addresses import build_mask_ip
from sanitizer.actions.expect import build_expect
from sanitizer.actions.pseudonyms import build_hash, build_tokenize
from sanitizer.actions.scrub import build_scrub
from sanitizer.actions.structure import (
    build_allow,
    build_drop,
    build_redact,
    build_rename,
    build_set,
    build_truncate,
)
from sanitizer.policy.building import ActionKind

# Handed to `compile_policy` by whoever builds policies (`sanitizer.loader`).
ACTIONS: dict[str, ActionKind] = {
    "drop": ActionKind(build_drop, "required"),
    "allow": ActionKind(build_allow, "required"),
    "redact": ActionKind(build_redact, "optional"),
    "set": ActionKind(build_set, "own"),
    "rename": ActionKind(build_rename, "own"),
    "truncate": ActionKind(build_truncate, "optional"),
    "expect": ActionKind(build_expect, "required"),
    "mask_ip": ActionKind(build_mask_ip, "optional"),
    "hash": ActionKind(build_hash, "optional"),
    "tokenize": ActionKind(build_tokenize, "optional"),
    "scrub": ActionKind(build_scrub, "optional"),
}
