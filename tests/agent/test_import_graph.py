"""The import graph: every module imports, no module imports itself in a circle, stages import downwards,
and onnxruntime is imported only where the model is served.

The graph is read from the source (tests/support/import_graph.py); the imports themselves run in a
fresh interpreter, so what one test imported cannot hide what another module forgot.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import import_graph

# The stages of docs/architecture.md, lowest first. A module may import its own stage and those below
# it when it is imported; ``if TYPE_CHECKING`` imports only count for cycles.
STAGES: list[tuple[str, ...]] = [
    ("agent", "agent.errors"),
    ("agent.base", "agent.plugin"),
    ("agent.core",),
    ("agent.outputs",),
    ("agent.runtime",),
    ("agent.config", "agent.config_file", "agent.config_problems", "agent.testing"),
    ("agent.app", "agent.replay"),
    ("agent.backend",),
    ("agent.commands", "agent.__main__"),
]

# The only module that may import onnxruntime when imported: the fallback for a model graph the built-in
# evaluator (agent.core.model.graph) does not hold; the runtime imports it only for such a model.
SERVES_THE_MODEL = {"agent.core.model.ort_session"}

# What must start without the model: the CLI before a command runs, the driver contract, config
# loading, every driver's descriptor, the agent before it loads a model.
LEAN_ENTRY_POINTS = ["agent.commands.cli.main", "agent.plugin", "agent.testing", "agent.config", "agent.app",
                     "drivers.simulated.plugin", "drivers.replay.plugin", "drivers.ble.plugin",
                     "drivers.shimmer.plugin", "drivers.bridge.plugin", "drivers.lsl.plugin"]


def _stage(module: str) -> int:
    found = [i for i, prefixes in enumerate(STAGES) for p in prefixes
             if module == p or (p != "agent" and module.startswith(p + "."))]
    assert found, f"{module} belongs to no stage: add it to STAGES and to docs/architecture.md"
    return max(found)


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=import_graph.REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_module_imports():
    names = [m for m in import_graph.modules(("agent", "drivers", "models")) if not m.endswith("__main__")]
    assert len(names) > 150
    failed = json.loads(_run(
        "import importlib, json, traceback\n"
        f"failed = {{}}\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed[name] = traceback.format_exc(limit=-3)\n"
        "print(json.dumps(failed))\n"))
    assert not failed, "\n".join(f"{name}:\n{trace}" for name, trace in failed.items())


def test_no_import_cycles():
    found = import_graph.cycles(import_graph.build())
    assert not found, "import cycles:\n" + "\n".join("  " + " -> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle():
    edge = import_graph.Edge
    graph = {"a": [edge("b", 1, False)], "b": [edge("c", 1, True)], "c": [edge("a", 1, False)], "d": [edge("a", 1, False)]}
    assert import_graph.cycles(graph) == [["a", "b", "c", "a"]]


def test_no_two_packages_of_the_agent_import_each_other():
    """Coarser than modules: ``agent.outputs.sync`` and ``agent.backend`` may not lean on each other, even
    through different modules (a harness in a product package used to do that). Import-time edges."""
    graph = import_graph.build(("agent",))
    files = import_graph.modules(("agent",))

    def package(module: str) -> str:  # a module at the root (agent.app) stands for itself
        parent = module.rpartition(".")[0]
        return module if files[module].name == "__init__.py" or parent == "agent" else parent

    packages: dict[str, list[import_graph.Edge]] = {}
    for module, edges in graph.items():
        out = packages.setdefault(package(module), [])
        for edge in edges:
            if edge.target in files and not edge.typing_only and package(edge.target) != package(module):
                out.append(import_graph.Edge(package(edge.target), edge.line, False))
    found = import_graph.cycles(packages)
    assert not found, "packages importing each other:\n" + "\n".join("  " + " -> ".join(c) for c in found)


def test_stages_import_only_downwards():
    graph = import_graph.build()
    upwards = [f"{module} (stage {_stage(module)}) imports {edge.target} (stage {_stage(edge.target)}), line {edge.line}"
               for module, edges in graph.items() if module.startswith("agent")
               for edge in edges
               if edge.target.startswith("agent") and not edge.typing_only and _stage(edge.target) > _stage(module)]
    assert not upwards, "\n".join(upwards)


def test_drivers_import_the_agent_only_through_its_plugin_contract():
    graph = import_graph.build()
    # agent.errors too: it needs only the standard library, so a module that must run without the
    # agent's dependencies (drivers/lsl/netconfig.py, run by systemd/install.sh) can still raise ConfigError
    allowed = {"agent", "agent.plugin", "agent.testing", "agent.errors"}
    reaching = [f"{module} imports {edge.target}, line {edge.line}"
                for module, edges in graph.items() if module.startswith("drivers")
                for edge in edges if edge.target.startswith("agent") and edge.target not in allowed]
    assert not reaching, "\n".join(reaching)


def test_onnxruntime_is_imported_only_where_the_model_is_served():
    graph = import_graph.build()
    chains = [import_graph.path_to(graph, m, "onnxruntime") for m in graph if m not in SERVES_THE_MODEL]
    reaching = [" -> ".join(chain) for chain in chains if chain]
    assert not reaching, "imports onnxruntime when imported (import it inside the function that loads a model):\n" + \
        "\n".join(reaching)
    assert import_graph.path_to(graph, "agent.core.model.ort_session", "onnxruntime")  # the check sees what it guards


def test_lean_entry_points_leave_onnxruntime_unloaded():
    loaded = json.loads(_run(
        "import importlib, json, sys\n"
        f"for name in {LEAN_ENTRY_POINTS!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.partition('.')[0] == 'onnxruntime')))\n"))
    assert loaded == []
