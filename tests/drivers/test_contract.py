"""The driver contract (agent.testing.check_driver), run against every driver registered in this environment.

Drivers are discovered exactly as the agent discovers them (the ``edge_agent.drivers``
entry-point group), so a third-party plugin installed here is held to the same contract;
the devices that need no hardware (simulations, recordings) also stream a few chunks.
The checker itself is checked against drivers that break the contract on purpose.
"""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pytest

from agent.base.driver import Registry
from agent.plugin import Chunk, Discovered, DriverContext, DriverOptions, DriverPlugin, Modality, StreamSpec
from agent.testing import DriverContractError, check_driver

REGISTRY = Registry()
NAMES = REGISTRY.names()
EXTRAS = set(metadata.metadata("vr-edge-agent").get_all("Provides-Extra") or [])
REPO = Path(__file__).resolve().parents[2]


def test_the_built_in_families_are_registered():
    assert {"sim-chest-strap", "sim-ecg", "sim-gsr", "sim-eeg", "replay", "ble-heart-rate", "polar-h10",
            "shimmer-gsr", "bridge", "lsl"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_driver_honours_the_contract(name):
    plugin = REGISTRY.plugin(name)
    assert plugin.name == name
    check_driver(plugin, known_extras=EXTRAS)  # everything is installed in the test environment


@pytest.mark.parametrize("name", [n for n in NAMES if not REGISTRY.plugin(n).is_hardware])
def test_drivers_without_hardware_stream_by_the_contract(name):
    check_driver(REGISTRY.plugin(name), chunks=5, timeout_s=60.0)


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string in the code of ``path``, docstrings (prose, examples) left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_driver_is_known_to_the_agent_by_name():
    """Provisioning, scan, check and replay read what a driver declares (DriverPlugin), never its name."""
    from agent.commands.cli.main import COMMANDS

    names = set(NAMES)
    cli = REPO / "agent" / "commands" / "cli" / "main.py"  # its command table names `edge-agent replay`, a command
    found = [f"{path.relative_to(REPO)}:{line}: {value!r}"
             for path in sorted((REPO / "agent").rglob("*.py"))
             for line, value in _string_constants(path)
             if (value in names or value.startswith(("sim-", "sim:"))) and not (path == cli and value in COMMANDS)]
    assert not found, "\n".join(found)


# Drivers that break the contract, to show the checker sees it.

class TickOptions(DriverOptions):
    port: str = "/dev/null"


TICK = StreamSpec("tick", Modality.OTHER, ("v",), "1", 10.0)


class Ticks:
    """Yields chunks whose seq runs as ``SEQS`` says."""

    options: ClassVar[type[DriverOptions]] = TickOptions
    SEQS: ClassVar[list[int]] = [0, 5, 10, 15, 20]

    def __init__(self, options: Any, context: DriverContext) -> None:
        self.context = context

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        return []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def chunks(self) -> AsyncIterator[Chunk]:
        for seq in self.SEQS:
            t = (seq + np.arange(5)) / 10.0
            yield Chunk(self.context.device_id, TICK, seq, t, np.zeros(5))


class Backwards(Ticks):
    SEQS: ClassVar[list[int]] = [0, 5, 3]


class Rewinding(Ticks):
    """Its seq runs on, but each chunk's times start again at zero."""

    async def chunks(self) -> AsyncIterator[Chunk]:
        for seq in self.SEQS:
            yield Chunk(self.context.device_id, TICK, seq, np.arange(5) / 10.0, np.zeros(5))


GOOD = DriverPlugin(name="ticks", summary="test ticks", options=TickOptions, target=f"{__name__}:Ticks",
                    hardware="serial", target_option="port")


def test_the_checker_passes_a_driver_that_keeps_the_contract():
    check_driver(GOOD, chunks=5)


@pytest.mark.parametrize(("change", "breach"), [
    ({"target_option": "address"}, "target_option 'address' is not an option"),
    ({"target_option": None}, "a hardware driver names its device"),
    ({"example": {"port": 3}}, "example is not valid options"),
    ({"extra": "nosuch"}, "extra 'nosuch' is not an extra"),
    ({"name": "Ticks!"}, "name 'Ticks!'"),
    ({"id_hint": "no spaces"}, "id_hint 'no spaces'"),
    ({"plays_recordings": True}, "no recorded(options, device_id, chunk_s)"),
    # classes that are fine until they stream
    ({"target": f"{__name__}:Backwards"}, "seq went back"),
    ({"target": f"{__name__}:Rewinding"}, "sample times go backwards"),
])
def test_the_checker_names_each_breach(change, breach):
    plugin = replace(GOOD, **change)
    if change.get("target"):
        check_driver(plugin)
        with pytest.raises(DriverContractError, match=re.escape(breach)):
            check_driver(plugin, chunks=5)
        return
    with pytest.raises(DriverContractError, match=re.escape(breach)):
        check_driver(plugin, known_extras=EXTRAS)
