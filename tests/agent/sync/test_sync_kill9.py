"""``kill -9`` of the agent during sync, 22 times: every record arrives, and exactly once after deduplication."""

from __future__ import annotations

from pathlib import Path

from tests.support.mqtt_broker import Broker
from tools.harness.crashtest import crash_run


async def test_kill_9_at_random_points_loses_nothing_and_dedup_leaves_exactly_one_of_each(
    broker: Broker, tmp_path: Path
) -> None:
    report = await crash_run(broker, tmp_path, kills=22, seed=20240611, produce=120, interval_ms=1.0)
    assert report.kills >= 20
    assert report.put > 100  # the kills interrupted a real stream of writes
    assert report.lost == 0, report
    assert report.unreported <= report.kills  # at most one commit per kill was not yet reported
    assert report.received == report.put + report.unreported  # one stored row per key: exactly once after dedup
    assert report.deliveries == report.received + report.duplicates  # at least once: re-sends are counted, not stored
    assert report.outbox_left == 0
    assert report.presence_after_kill == "offline"  # the retained Will told the backend the agent was gone
