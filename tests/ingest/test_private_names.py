"""No private name crosses a module boundary inside ingest/ (issue 28): a helper another module needs is public."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"marketpulse", "articles", "ingest", "sentiment", "ops"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`from <project module> import _x` and `<imported project module>._x` in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    modules: set[str] = set()  # local names bound to a project module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT:
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: from {node.module} import {alias.name}")
                else:
                    modules.add(alias.asname or alias.name)  # perhaps a submodule: checked below
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PROJECT:
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr != "_meta":  # Django's public Options
            base = node.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {base.id}.{node.attr}")
    return found


def test_ingest_imports_no_private_name_from_another_module():
    found = [hit for path in sorted((ROOT / "ingest").rglob("*.py")) for hit in private_imports(path)]
    assert found == []


def test_the_check_sees_both_forms(tmp_path):
    sample = tmp_path / "probe.py"
    sample.write_text(
        "from ingest.validation import _x, text_clean\nimport ingest.locks as locks\nlocks._lock\nself._ok\n",
        encoding="utf-8",
    )
    hits = private_imports(sample, tmp_path)
    assert [hit.split(": ", 1)[1] for hit in hits] == ["from ingest.validation import _x", "locks._lock"]
