"""live never imports qa (docs/architecture.md): qa builds on live and registers what it
contributes; the pages of both meet in config/urls_pages.py."""

import ast
from pathlib import Path

LIVE = Path(__file__).resolve().parents[2] / "live"


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_live_never_imports_qa():
    files = sorted(LIVE.rglob("*.py"))
    offenders = {
        str(path.relative_to(LIVE.parent)): sorted(
            m for m in imported_modules(path) if m == "qa" or m.startswith("qa.")
        )
        for path in files
    }

    assert len(files) > 20
    assert {path: found for path, found in offenders.items() if found} == {}
