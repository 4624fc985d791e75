"""One exception tree for the whole project.

    SanitizerError                 base; `status` is the HTTP status the shell should send
    ├── PolicyError                a policy or config cannot be loaded (names rule and field)
    │   ├── KeyLoadError           a key reference cannot be resolved or is malformed
    │   └── ConfigError            the proxy's config file is invalid (names the field)
    ├── InputError                 a request body or input file is not acceptable JSON (400)
    │   ├── BodyTooLarge           413
    │   ├── BodyTimeout            408
    │   └── UnsupportedMediaType   415
    ├── Refusal                    the policy refused to produce an output (422)
    │   ├── RuleFailed             a rule raised while applying; names the rule
    │   └── GuardHit               a guard detector matched the finished output
    ├── TokenError                 a token cannot be revealed (one opaque reason)
    ├── AuthError                  missing or wrong inbound credential (401)
    ├── NotFound                   unknown route or path (404)
    └── Unavailable                the spool is full or unwritable: retry later (503)

Every message says what was wrong, where, and how to fix it. None ever holds a payload value
or a key: constructors take names and reasons only, and `__repr__` shows the message.
"""

from __future__ import annotations


class SanitizerError(Exception):
    """Base of every error this project raises on purpose."""

    status: int = 500
    code: str = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def to_json(self) -> dict[str, str]:
        """The JSON error body the shell sends; holds no payload value by construction."""
        return {"error": self.code, "message": self.message}


class PolicyError(SanitizerError):
    """A policy (or config) is refused at load time."""

    code = "policy_invalid"

    def __init__(
        self,
        problem: str,
        *,
        rule: str | None = None,
        field: str | None = None,
        source: str | None = None,
    ) -> None:
        self.problem = problem
        self.rule = rule
        self.field = field
        self.source = source
        where = []
        if source:
            where.append(source)
        if rule is not None:
            where.append(f"rule {rule!r}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ": ".join([", ".join(where)]) + ": " if where else ""
        super().__init__(prefix + problem)

    def located(
        self, *, rule: str | None = None, field: str | None = None, source: str | None = None
    ) -> PolicyError:
        """The same problem with more location filled in (inner code knows less than outer)."""
        return type(self)(
            self.problem,
            rule=self.rule if self.rule is not None else rule,
            field=self.field if self.field is not None else field,
            source=self.source if self.source is not None else source,
        )


class KeyLoadError(PolicyError):
    code = "key_invalid"


class ConfigError(PolicyError):
    code = "config_invalid"


class InputError(SanitizerError):
    status = 400
    code = "bad_request"


class BodyTooLarge(InputError):
    status = 413
    code = "body_too_large"


class BodyTimeout(InputError):
    status = 408
    code = "body_timeout"


class UnsupportedMediaType(InputError):
    status = 415
    code = "unsupported_media_type"


class Refusal(SanitizerError):
    """The policy would not produce a safe output: the alert must not be forwarded."""

    status = 422
    code = "refused"

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule

    def to_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message, "rule": self.rule}


class RuleFailed(Refusal):
    code = "rule_failed"


class GuardHit(Refusal):
    code = "guard_hit"


class TokenError(SanitizerError):
    """A token could not be revealed: wrong key, unknown key id, or not a token at all."""

    status = 400
    code = "token_invalid"


class AuthError(SanitizerError):
    status = 401
    code = "unauthorized"


class NotFound(SanitizerError):
    status = 404
    code = "not_found"


class Unavailable(SanitizerError):
    """Not accepting now; the sender should retry after `retry_after` seconds."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
