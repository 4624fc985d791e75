"""The tests that README.md, SECURITY.md and deploy/README.md cite as proof exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "SECURITY.md", "deploy/README.md"]
CITED = re.compile(r"tests/[A-Za-z0-9_/]+(?:\.py|/)(?:::[A-Za-z0-9_]+)?")


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_test_file_and_test_exists(doc):
    missing = []
    for cited in CITED.findall((ROOT / doc).read_text(encoding="utf-8")):
        path, _, name = cited.partition("::")
        target = ROOT / path
        if not target.exists():
            missing.append(cited)
        elif name and not re.search(rf"def {name}\(", target.read_text(encoding="utf-8")):
            missing.append(cited)
    assert missing == []
