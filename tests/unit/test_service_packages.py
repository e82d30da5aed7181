"""The folder tree is the architecture: services packages depend one way, and no module reaches into
another's private names. DESIGN.md ("Layout") draws the same order; `../shared/checks/layers` checks the
layers around services."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "app" / "services"
# A package may import the ones before it, never one after it. The modules directly in app/services
# (errors, inputs, zones, audit, usage) come before all of them.
ORDER = ["messaging", "identity", "tenancy", "channels", "events", "planning", "delivery", "insight",
         "operations"]


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Every import in a module, function-local ones included: (line, module, names)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, []) for a in node.names)
    return found


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["app", "services"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in ORDER else ""  # "" = a shared module at the top


def test_every_services_package_is_listed_and_says_what_it_owns():
    packages = sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())
    assert packages == sorted(ORDER)
    for name in packages:
        doc = ast.get_docstring(ast.parse((SERVICES / name / "__init__.py").read_text()))
        assert doc and "Uses" in doc, f"app/services/{name}/__init__.py must say what it owns and may use"


def test_services_packages_depend_one_way():
    wrong = []
    for path in SERVICES.rglob("*.py"):
        here = _package("app.services." + ".".join(path.relative_to(SERVICES).with_suffix("").parts))
        for line, module, names in _imports(path):
            targets = [module] + [f"{module}.{n}" for n in names] if module == "app.services" else [module]
            for target in targets:
                there = _package(target)
                if there is None or there == here or there == "" and target.count(".") < 2:
                    continue
                rank = {p: i for i, p in enumerate(ORDER)}
                if here == "" and there != "":
                    wrong.append(f"{path.relative_to(ROOT)}:{line} shared module imports {target}")
                elif here and there and rank[there] > rank[here]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} {here} imports {target} (after it)")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_is_imported_across_modules():
    wrong = []
    for folder in ("app", "state", "components", "tasks", "models"):
        for path in (ROOT / folder).rglob("*.py"):
            for line, module, names in _imports(path):
                if module.startswith(("app", "state", "components", "tasks", "models")):
                    wrong += [f"{path.relative_to(ROOT)}:{line} {module}.{n}" for n in names
                              if n.startswith("_") and not n.startswith("__")]
    assert not wrong, "\n".join(wrong)


def test_no_module_is_long_without_a_reason_at_its_top():
    long = []
    for folder in ("app", "state", "components", "tasks", "models"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            doc = ast.get_docstring(ast.parse(text)) or ""
            if text.count("\n") > 400 and "longer than 400 lines" not in doc.lower():
                long.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert not long, "split these along a seam, or say at the top why not:\n" + "\n".join(long)
