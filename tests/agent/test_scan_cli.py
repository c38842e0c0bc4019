"""`edge-agent scan`: drivers scanned concurrently, unavailable ones named with their extra."""

from __future__ import annotations

import json
from importlib import metadata

from click.testing import CliRunner

from agent.base.driver import Registry
from agent.commands.cli.scan import render, scan, scan_all


def registry_with(*targets: tuple[str, str]) -> Registry:
    return Registry(metadata.EntryPoints(
        metadata.EntryPoint(name, target, "edge_agent.drivers") for name, target in targets))


async def test_scan_reports_what_it_found_and_which_driver_is_missing_its_library() -> None:
    registry = registry_with(("scripted", "tests.support.scripted:SCRIPTED"),
                             ("needs-vendor-lib", "tests.support.scripted:MISSING_LIBRARY"))
    lines: list[str] = []
    results = await scan_all(registry, ["scripted", "needs-vendor-lib"], 1.0, lines.append)
    by = {r.driver: r for r in results}
    assert [d.address for d in by["scripted"].found] == ["scripted:0"]
    assert "pip install 'vr-edge-agent[vendor]'" in by["needs-vendor-lib"].unavailable
    assert any("needs-vendor-lib: unavailable" in line for line in lines)
    text = "\n".join(render(results))
    assert "scripted:0" in text and "unavailable: driver 'needs-vendor-lib'" in text


def test_scan_cli_json_with_named_drivers() -> None:
    r = CliRunner().invoke(scan, ["--driver", "sim-chest-strap", "--driver", "sim-gsr", "--json", "--timeout", "1"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert [(x["driver"], x["found"][0]["address"]) for x in out] == [("sim-chest-strap", "sim:chest-strap"),
                                                                      ("sim-gsr", "sim:gsr")]


def test_scan_cli_refuses_an_unknown_driver() -> None:
    r = CliRunner().invoke(scan, ["--driver", "polar-h11"])
    assert r.exit_code == 2 and "unknown driver(s) polar-h11" in r.output
