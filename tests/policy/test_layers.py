"""The core reads one way: the policy engine never imports the actions it runs.

`sanitizer.actions` builds effects from the vocabulary in `sanitizer.policy` (schema, tree,
selectors, effects, building); the engine (compile, apply, analysis) is handed the action
registry and asks each effect about itself. Read from the modules' own import statements.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sanitizer

PACKAGE = Path(sanitizer.__file__).parent
ENGINE = ("sanitizer.policy.compile", "sanitizer.policy.apply", "sanitizer.policy.analysis")


def imported_modules(source: Path) -> set[str]:
    """Every module an import statement of `source` names, at any depth in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{source}: relative import"
            assert node.module is not None
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_of(package: str) -> list[Path]:
    files = sorted((PACKAGE / package).glob("*.py"))
    assert files, package
    return files


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_no_policy_module_imports_the_actions():
    for source in modules_of("policy"):
        offending = sorted(
            name for name in imported_modules(source) if within(name, "sanitizer.actions")
        )
        assert not offending, f"sanitizer/policy/{source.name} imports {offending}"


def test_actions_import_the_vocabulary_not_the_engine():
    for source in modules_of("actions"):
        offending = sorted(
            name
            for name in imported_modules(source)
            if any(within(name, engine) for engine in ENGINE)
        )
        assert not offending, f"sanitizer/actions/{source.name} imports {offending}"


def test_the_import_reader_sees_every_form(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "import sanitizer.actions.base\n"
        "from sanitizer import actions\n"
        "def late():\n"
        "    from sanitizer.actions.scrub import build_scrub\n",
        encoding="utf-8",
    )
    names = imported_modules(source)
    assert {"sanitizer.actions.base", "sanitizer.actions", "sanitizer.actions.scrub"} <= names
