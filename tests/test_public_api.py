"""The package's public surface: what `import sanitizer` offers, and nothing by accident."""

from __future__ import annotations

import doctest
import inspect

import sanitizer
from sanitizer import errors


def test_the_exported_names_are_exactly_these():
    assert sanitizer.__all__ == [
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


def test_the_exported_names_are_sorted_and_all_defined():
    assert sanitizer.__all__ == sorted(sanitizer.__all__)
    for name in sanitizer.__all__:
        assert hasattr(sanitizer, name), name


def test_every_error_the_project_defines_is_exported_and_under_one_root():
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == errors.__name__
    }
    assert defined <= set(sanitizer.__all__)
    for name in defined:
        assert issubclass(getattr(errors, name), errors.SanitizerError), name


def test_every_sanitizer_error_subclass_lives_in_the_errors_module():
    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    import sanitizer.cli
    import sanitizer.proxy.server
    import sanitizer.send  # noqa: F401

    strays = {
        f"{cls.__module__}.{cls.__name__}"
        for cls in subclasses(errors.SanitizerError)
        if cls.__module__.startswith("sanitizer.") and cls.__module__ != errors.__name__
    }
    assert strays == set()


def test_the_package_docstring_example_runs():
    result = doctest.testmod(sanitizer, verbose=False)
    assert result.attempted and not result.failed
