"""The README's examples work as written: its policy loads and its policy test passes.

The YAML blocks are read from README.md when the tests run, so an edit to the README that
breaks an example fails here.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import pytest
import yaml

from sanitizer.loader import policy_from_text
from sanitizer.policytest import run_test_files

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
TEST_KEY = base64.b64encode(b"sanitizer-test-key-not-a-secret!").decode()


def yaml_block_under(heading: str) -> str:
    """The first ```yaml block after the line `heading`, up to the next heading."""
    text = README.read_text(encoding="utf-8")
    start = text.find(f"\n{heading}\n")
    assert start >= 0, f"README.md has no {heading!r} section"
    section = text[start + len(heading) + 2 :]
    section = re.split(r"\n#{1,3} ", section, maxsplit=1)[0]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"README.md's {heading!r} section has no yaml block"
    return match.group(1)


def test_the_readme_policy_test_example_passes(tmp_path: Path) -> None:
    # The example sits where the shipped tests do (rules/tests/) and names files relative to
    # that: copy each file it names to the same place under tmp_path.
    block = yaml_block_under("### Testing a policy")
    doc = yaml.safe_load(block)
    here = Path("rules/tests")
    referenced = [doc["policy"]] + [
        case["input_file"] for case in doc["cases"] if "input_file" in case
    ]
    for name in referenced:
        source = (REPO / here / name).resolve()
        assert source.is_file(), f"the README example names {name}, which does not exist"
        target = (tmp_path / here / name).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    test_file = tmp_path / here / "readme-example.yaml"
    test_file.parent.mkdir(parents=True, exist_ok=True)
    test_file.write_text(block, encoding="utf-8")
    out = io.StringIO()
    failures = run_test_files([test_file], environ={}, out=out)
    assert failures == 0, out.getvalue()


@pytest.mark.parametrize("heading", ["## Policies"])
def test_the_readme_example_policy_loads(heading: str) -> None:
    block = yaml_block_under(heading)
    names = re.findall(r"\{env: ([A-Z_]+)\}", block)
    assert names, "the example policy reads its keys from the environment"
    policy = policy_from_text(block, source="README.md", environ=dict.fromkeys(names, TEST_KEY))
    assert policy.rules
