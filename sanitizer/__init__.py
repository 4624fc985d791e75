"""Alert Sanitizer: sanitize monitoring alerts before they leave the network.

The public surface is what `__all__` lists: load a policy, apply it, and the error tree.
Everything else is private by convention and may change between versions.

    >>> from sanitizer import policy_from_text
    >>> rules = "  - {id: d, action: drop, select: secret}"
    >>> policy = policy_from_text(f"version: 1\\nname: x\\nrules:\\n{rules}\\n")
    >>> policy.apply({"secret": "s", "ok": 1}).payload
    {'ok': 1}
"""

__version__ = "0.1.0"  # before the imports below: modules they load read it

from sanitizer.errors import (
    AuthError,
    BodyTimeout,
    BodyTooLarge,
    ConfigError,
    CsrfRefused,
    GuardHit,
    InputError,
    KeyCollision,
    KeyLoadError,
    LoadError,
    NotFound,
    PolicyError,
    Refusal,
    RuleFailed,
    SanitizerError,
    SendError,
    SpoolFileReplaced,
    TokenError,
    Unavailable,
    UnsupportedMediaType,
)
from sanitizer.loader import load_policy, policy_from_text
from sanitizer.policy.apply import AuditEntry, Policy, Sanitized

__all__ = [
    "AuditEntry",
    "AuthError",
    "BodyTimeout",
    "BodyTooLarge",
    "ConfigError",
    "CsrfRefused",
    "GuardHit",
    "InputError",
    "KeyCollision",
    "KeyLoadError",
    "LoadError",
    "NotFound",
    "Policy",
    "PolicyError",
    "Refusal",
    "RuleFailed",
    "Sanitized",
    "SanitizerError",
    "SendError",
    "SpoolFileReplaced",
    "TokenError",
    "Unavailable",
    "UnsupportedMediaType",
    "__version__",
    "load_policy",
    "policy_from_text",
]
