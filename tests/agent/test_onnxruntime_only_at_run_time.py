"""Only the onnxruntime fallback imports onnxruntime, and only when a model needs it: no other module pays for it.

Every module of ``agent`` and ``drivers`` is imported in a fresh interpreter
where onnxruntime cannot be imported; the modules whose import fails on it
are the ones that import it at import time.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys

class NoOnnxRuntime(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "onnxruntime":
            raise ImportError("onnxruntime is not importable here (the test's block)")
        return None

sys.meta_path.insert(0, NoOnnxRuntime())
import agent, drivers

needs, checked = [], 0
for package in (agent, drivers):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith("__main__"):
            continue
        checked += 1
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            if "the test's block" in str(exc):
                needs.append(info.name)
print(json.dumps({"needs": needs, "checked": checked}))
"""


def test_only_the_onnxruntime_fallback_imports_onnxruntime_at_import_time() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["checked"] > 100  # it really walked the packages
    assert [m for m in result["needs"] if not m.endswith(".model.ort_session")] == []
    assert any(m.endswith(".model.ort_session") for m in result["needs"])  # the block works: the fallback needs it
