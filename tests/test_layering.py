"""Layering: the API, domain and persistence modules never import Textual or Rich.

Each module is imported in a fresh interpreter (so nothing imported by the test run itself can
hide a leak) and the interpreter reports which forbidden packages ended up in ``sys.modules``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("textual", "rich")
MODULES = [
    "nemo_tui.api", "nemo_tui.api.client", "nemo_tui.api.sse", "nemo_tui.api.errors",
    "nemo_tui.api.models", "nemo_tui.draft", "nemo_tui.draft_v3", "nemo_tui.diff", "nemo_tui.intent",
    "nemo_tui.gui_speak", "nemo_tui.textsafe", "nemo_tui.config", "nemo_tui.store",
    "nemo_tui.jobs", "nemo_tui.versions", "nemo_tui.version_store", "nemo_tui.preview",
    "nemo_tui.preview.media", "nemo_tui.preview.halfcell", "nemo_tui.preview.frames",
    "nemo_tui.preview.cache", "nemo_tui.cli_preview",
    "nemo_tui.edit_compose", "nemo_tui.edit_check", "nemo_tui.media",
]

PROBE = """
import importlib, json, sys
report = {}
for name in sys.argv[1:]:
    importlib.import_module(name)
    # Modules are imported in order, so a leak is pinned on the first module that causes it.
    report[name] = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
print(json.dumps(report))
""".replace("FORBIDDEN", repr(set(FORBIDDEN)))


def _exists(module: str) -> bool:
    sys_path = list(sys.path)
    try:
        sys.path.insert(0, str(ROOT))
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False
    finally:
        sys.path[:] = sys_path


def _probe(modules: list[str]) -> dict[str, list[str]]:
    """Import `modules` in one fresh interpreter; forbidden modules loaded after each."""
    result = subprocess.run([sys.executable, "-c", PROBE, *modules], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def report() -> dict[str, list[str]]:
    return _probe([m for m in MODULES if _exists(m)])


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_without_textual_or_rich(module, report):
    if module not in report:
        pytest.skip(f"{module} does not exist yet (another part of the project builds it)")
    leaked = report[module]
    assert leaked == [], f"importing {module} pulled in {leaked[:5]}"


def test_probe_can_fail():
    """The probe really detects a leak (so the tests above can fail)."""
    assert _probe(["nemo_tui.textsafe", "rich.text"])["rich.text"]


# ---- internal edges: who may import whom inside nemo_tui -----------------------------------
#: Pure domain modules: no I/O layers, no UI.
DOMAIN = ("nemo_tui.draft", "nemo_tui.draft_v3", "nemo_tui.diff", "nemo_tui.intent",
          "nemo_tui.gui_speak", "nemo_tui.textsafe", "nemo_tui.session", "nemo_tui.versions")
#: (importer prefix, forbidden prefixes, transitive): a transitive rule also follows the imports
#: of every nemo_tui module reached (the UI must not reach the local backend through services).
EDGE_RULES = [
    ("nemo_tui.api", ("nemo_tui.ui", "nemo_tui.local", "nemo_tui.cli"), False),
    *[(d, ("nemo_tui.api", "nemo_tui.ui", "nemo_tui.local"), False) for d in DOMAIN],
    ("nemo_tui.local", ("nemo_tui.ui", "nemo_tui.api", "nemo_tui.cli"), False),
    ("nemo_tui.ui", ("nemo_tui.local",), True),
]


def _module_files() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    out = {}
    for path in (ROOT / "nemo_tui").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """nemo_tui modules a file imports anywhere in it (function bodies and TYPE_CHECKING
    blocks included: a lazy import is still an edge)."""
    import ast

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("nemo_tui") and target:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    files = _module_files()
    known = set(files)
    return {name: _imports(path, name, known) - {name} for name, path in files.items()}


def _reach(start: str, edges: dict[str, set[str]]) -> dict[str, str]:
    """Every module reachable from ``start`` → the module that imports it on the way."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        here = todo.pop()
        for nxt in edges.get(here, ()):
            if nxt not in seen and nxt != start:
                seen[nxt] = here
                todo.append(nxt)
    return seen


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("rule", EDGE_RULES, ids=lambda r: r[0])
def test_internal_import_edges(rule, edges):
    """api never imports ui/local/cli; domain never api/ui/local; local never ui/api/cli; the
    UI never reaches the local backend, not even through another module."""
    prefix, forbidden, transitive = rule
    bad = []
    for name in edges:
        if not _within(name, prefix):
            continue
        reached = _reach(name, edges) if transitive else {m: name for m in edges[name]}
        for target, via in reached.items():
            if any(_within(target, f) for f in forbidden):
                bad.append(f"{name} → … {via} → {target}")
    assert not bad, bad[:10]


def test_edge_rules_can_fail(edges, tmp_path):
    """The edge check sees lazy imports inside functions (the services → local edge that the
    UI used to reach)."""
    fake = dict(edges)
    fake["nemo_tui.ui.fake"] = {"nemo_tui.services_fake"}
    fake["nemo_tui.services_fake"] = {"nemo_tui.local.runner"}
    assert "nemo_tui.local.runner" in _reach("nemo_tui.ui.fake", fake)
    code = "def f():\n    from nemo_tui.local.runner import LocalBackend\n"
    probe = tmp_path / "probe.py"
    probe.write_text(code, encoding="utf-8")
    assert "nemo_tui.local.runner" in _imports(probe, "probe", {"nemo_tui.local.runner"})
