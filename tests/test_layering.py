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
