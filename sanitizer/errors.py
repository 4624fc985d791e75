"""One exception tree for the whole project.

    SanitizerError                 base; `status` is the HTTP status the shell should send
    ├── LoadError                  something cannot be loaded; names source, rule and field
    │   ├── PolicyError            a policy is invalid
    │   │   └── KeyLoadError       a key or secret reference cannot be resolved or is malformed
    │   └── ConfigError            the proxy's config file is invalid
    ├── InputError                 a request body or input file is not acceptable JSON (400)
    │   ├── BodyTooLarge           413
    │   ├── BodyTimeout            408
    │   └── UnsupportedMediaType   415
    ├── Refusal                    the policy refused to produce an output (422)
    │   ├── RuleFailed             a rule raised while applying; names the rule
    │   └── GuardHit               a guard detector matched the finished output
    ├── KeyCollision               two keys of one object became equal after a rewrite
    ├── TokenError                 a token cannot be revealed (one opaque reason)
    ├── AuthError                  missing or wrong inbound credential (401)
    ├── CsrfRefused                a console request by cookie without its CSRF token (403)
    ├── NotFound                   unknown route or path (404)
    ├── SendError                  `sanitizer send` could not hand the alert over
    ├── Unavailable                the spool is full or unwritable: retry later (503)
    └── SpoolFileReplaced          spool.db is no longer the file this process opened

Signals that never leave the step that raises them are not part of the tree: a JMESPath
text nested too deeply (`policy.jmespath_ast.TooDeep`, and `policy.expressions.
ExpressionTooDeep`, a jmespath error so that callers handle it with the parser's own) and a
problem in a policy test file (`policytest.cases.FileProblem`); each is turned into a
`PolicyError` naming where it happened.

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


class LoadError(SanitizerError):
    """A policy, key or config is refused at load time; says where (source, rule, field)."""

    code = "load_failed"

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
    ) -> LoadError:
        """The same problem, of the same type, with more location filled in (inner code
        knows less than outer)."""
        return type(self)(
            self.problem,
            rule=self.rule if self.rule is not None else rule,
            field=self.field if self.field is not None else field,
            source=self.source if self.source is not None else source,
        )


class PolicyError(LoadError):
    """A policy is refused at load time."""

    code = "policy_invalid"


class KeyLoadError(PolicyError):
    code = "key_invalid"


class ConfigError(LoadError):
    """The proxy's config file is refused; a policy or key problem found while loading it
    keeps its own type, with the config's location added (`located`)."""

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


class KeyCollision(SanitizerError):
    """Two keys of one object became equal after rewriting; merging would lose one silently."""

    def __init__(self) -> None:
        super().__init__(
            "two keys of one object became equal after rewriting them; select the values "
            "instead of rewriting keys, or drop the object"
        )


class TokenError(SanitizerError):
    """A token could not be revealed: wrong key, unknown key id, or not a token at all."""

    status = 400
    code = "token_invalid"


class AuthError(SanitizerError):
    status = 401
    code = "unauthorized"


class CsrfRefused(SanitizerError):
    """A cookie-authenticated console request that changes state came without its session's
    CSRF token: the page sends it in `X-CSRF-Token`, a forged cross-site request cannot."""

    status = 403
    code = "csrf"


class NotFound(SanitizerError):
    status = 404
    code = "not_found"


class SendError(SanitizerError):
    """`sanitizer send` could not hand the alert to the proxy; one line for Nagios' log."""


class Unavailable(SanitizerError):
    """Not accepting now; the sender should retry after `retry_after` seconds."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SpoolFileReplaced(SanitizerError):
    """spool.db on disk is no longer the file this process opened (deleted, moved or
    replaced): a commit would land in a file no later start reopens, so it is refused."""

    status = 503
    code = "unavailable"

    def __init__(self) -> None:
        super().__init__(
            "the spool file was deleted, moved or replaced while the proxy ran; restart the "
            "proxy so it opens the spool again"
        )
