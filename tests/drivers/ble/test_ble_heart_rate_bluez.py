"""The heart-rate strap driver through real bleak, its BlueZ backend and D-Bus,
against the fake BlueZ playing a real RR series."""

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.events import Connected, Disconnected, Gap, Quality
from agent.base.stream import Chunk
from agent.errors import DeviceError, DeviceNotFound, DeviceStalled
from drivers.ble.plugin import HEART_RATE, POLAR_H10
from tests.drivers.ble.fake_bluez import FakeBlueZ, Peripheral
from tests.drivers.ble.fake_bluez_gatt import ServiceSpec
from tests.drivers.ble.fake_straps import HeartRateStrap, PolarH10
from tests.drivers.ble.harness import chunks_of, make_driver, supervised, take
from tests.support.waiting import collect, until

STRAP = "C4:7C:8D:6A:11:22"
H10 = "A0:9E:1A:B2:33:44"


def rr_count(n: int):
    return lambda seen: sum(len(c) for c in chunks_of(seen, "rr")) >= n


async def test_discover_lists_heart_rate_straps_with_name_address_and_rssi(bluez: FakeBlueZ) -> None:
    clock = Clock()
    bluez.add(HeartRateStrap(clock, STRAP, "TICKR 1A2B"))
    bluez.add(PolarH10(clock, H10))
    bluez.add(
        Peripheral(
            "11:22:33:44:55:66",
            "Smart Bulb",
            ["0000180f-0000-1000-8000-00805f9b34fb"],
            [ServiceSpec("0000180f-0000-1000-8000-00805f9b34fb")],
        )
    )

    straps = await HEART_RATE.load().discover(0.4)
    assert {(d.name, d.address) for d in straps} == {("TICKR 1A2B", STRAP), ("Polar H10 ABCD1234", H10)}
    assert all(d.driver == "ble-heart-rate" and isinstance(d.rssi, int) and -100 < d.rssi < 0 for d in straps)

    polars = await POLAR_H10.load().discover(0.4)
    assert [(d.driver, d.name, d.address) for d in polars] == [("polar-h10", "Polar H10 ABCD1234", H10)]


async def test_beats_reach_chunks_at_their_true_times(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)  # 40 s of a real RR series in 4 s
    strap = bluez.add(HeartRateStrap(clock, STRAP, "TICKR 1A2B"))
    driver = make_driver(HEART_RATE, clock, name="TICKR 1A2B", scan_timeout_s=5)  # connect by name
    async with driver:
        seen = await take(driver.chunks(), rr_count(45))
    assert driver.body_location.name == "CHEST" and driver.battery == 87
    assert [c.x[0, 0] for c in chunks_of(seen, "battery")] == [87.0]

    rr = chunks_of(seen, "rr")
    assert [c.seq for c in rr] == list(np.cumsum([0] + [len(c) for c in rr[:-1]]))  # no gaps
    t = np.concatenate([c.t for c in rr])
    beats = np.array(strap.hr.sent_beats[: len(t)])
    np.testing.assert_array_equal(
        np.concatenate([c.x[:, 0] for c in rr]), (strap.hr.rr_raw[beats] / 1024).astype(np.float32)
    )
    err = (t - strap.hr.beat_t[beats])[t > t[0] + 15]  # once a quarter of a minute of batches has been seen
    # Late by the minimum delivery delay (times 10 on this clock) plus the strap's send phase; never early.
    assert err.min() > -0.01 and np.median(err) < 0.1 and err.max() < 0.25, err
    hr = chunks_of(seen, "hr")
    assert all(40 < c.x[0, 0] < 120 for c in hr)


async def test_strap_off_the_skin_gives_quality_events_not_heart_rate(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    driver = make_driver(HEART_RATE, clock, address=STRAP.lower(), scan_timeout_s=5)
    async with driver:
        items = driver.chunks()
        seen = await take(items, rr_count(3))
        strap.hr.contact = False
        off = await take(items, lambda s: sum(isinstance(q, Quality) for q in s) >= 2)
        assert [(q.stream, q.ok, q.reason) for q in off if isinstance(q, Quality)] == [
            ("hr", False, "no skin contact"),
            ("rr", False, "no skin contact"),
        ]
        n_off = len(strap.hr.sent)
        await until(lambda: len(strap.hr.sent) >= n_off + 3, what="three notifications off the skin")
        strap.hr.contact = True
        back = await take(items, rr_count(3))
    quality = [q for q in back if isinstance(q, Quality)]
    assert all(c.t[0] >= quality[0].t for c in chunks_of(back, "hr"))  # nothing from the time off the skin
    assert [(q.stream, q.ok) for q in quality] == [("hr", True), ("rr", True)]
    first_rr_after = chunks_of(back, "rr")[0]
    assert first_rr_after.seq > chunks_of(seen, "rr")[-1].next_seq  # the beats off the skin are a gap
    assert first_rr_after.t[0] > quality[0].t - 2.0


async def test_a_malformed_notification_is_counted_and_dropped(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    driver = make_driver(HEART_RATE, clock, address=STRAP, scan_timeout_s=5)
    async with driver:
        items = driver.chunks()
        await take(items, rr_count(2))
        strap.hr.send(bytes.fromhex("17 01 01"))  # RR flag without RR bytes
        strap.hr.send(b"")
        await take(items, rr_count(4))
    assert driver.stats()["hr_malformed"] == 2


async def test_bluez_transient_errors_are_retried(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    strap.fail_connects = [
        ("org.bluez.Error.InProgress", "Operation already in progress"),
        ("org.bluez.Error.Failed", "Software caused connection abort"),
    ]
    driver = make_driver(HEART_RATE, clock, address=STRAP, scan_timeout_s=5, connect_attempts=3)
    async with driver:
        await take(driver.chunks(), rr_count(1))
    assert driver.link.transient_retries == 2 and bluez.device(STRAP).connects == 1


async def test_a_refusal_is_not_retried(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    strap.fail_connects = [("org.bluez.Error.AuthenticationFailed", "Authentication Failed")] * 3
    driver = make_driver(HEART_RATE, clock, address=STRAP, scan_timeout_s=5)
    with pytest.raises(DeviceError, match="AuthenticationFailed"):
        async with driver:
            pass
    assert driver.link.transient_retries == 0 and len(strap.fail_connects) == 2


async def test_a_strap_nowhere_to_be_seen_is_not_found_in_time(bluez: FakeBlueZ) -> None:
    driver = make_driver(HEART_RATE, Clock(), address=STRAP, scan_timeout_s=0.3)
    with pytest.raises(DeviceNotFound, match="not found in 0.3 s"):
        async with driver:
            pass


async def test_a_strap_already_connected_to_this_host_is_used_without_a_scan(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    bluez.add(HeartRateStrap(clock, STRAP))
    bluez.advertise_once()
    await bluez.device(STRAP).connect()  # BlueZ reconnected it by itself, or an agent crashed leaving it up
    driver = make_driver(HEART_RATE, clock, address=STRAP, scan_timeout_s=0.3)  # a connected strap does not advertise
    async with driver:
        await take(driver.chunks(), rr_count(2))
    assert bluez.device(STRAP).connects == 1


async def test_a_stall_heals_by_resubscribing(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    driver = make_driver(HEART_RATE, clock, address=STRAP, scan_timeout_s=5)
    async with driver:
        items = driver.chunks()
        await take(items, rr_count(2))
        strap.hr.stalled = True
        await take(items, rr_count(4))  # beats again, without reconnecting
    assert driver.stalls == 1 and driver.link.connects == 1


async def test_a_stall_resubscribing_cannot_heal_is_raised(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    driver = make_driver(HEART_RATE, clock, address=STRAP, scan_timeout_s=5)
    async with driver:
        items = driver.chunks()
        await take(items, rr_count(2))
        strap.hr.heal_on_resubscribe = False
        strap.hr.stalled = True
        with pytest.raises(DeviceStalled, match="even after resubscribing"):
            await take(items, lambda s: False)


async def test_a_drop_mid_stream_reconnects_by_itself_under_the_supervisor(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    bluez.add(HeartRateStrap(clock, STRAP))
    async with supervised(HEART_RATE, clock, address=STRAP, scan_timeout_s=5) as (sup, out):
        await collect(out, lambda s: sum(isinstance(c, Chunk) and c.spec.name == "rr" for c in s) >= 3)
        bluez.go_out_of_range(STRAP)  # the patient walks to the kitchen
        await collect(out, lambda s: any(isinstance(e, Disconnected) for e in s))
        await clock.sleep(3.0)
        bluez.come_back(STRAP)
        after = await collect(
            out, lambda s: sum(isinstance(c, Chunk) and c.spec.name == "rr" for c in s) >= 3, timeout_s=30
        )
    assert [e.attempt for e in after if isinstance(e, Connected)] == [2]
    gaps = [g for g in after if isinstance(g, Gap) and g.stream == "rr"]
    assert len(gaps) == 1 and gaps[0].cause == "reconnect" and gaps[0].missing is not None and gaps[0].missing >= 3
    assert sup.status.connects == 2


async def test_a_stall_escalates_to_a_reconnect_under_the_supervisor(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    strap = bluez.add(HeartRateStrap(clock, STRAP))
    async with supervised(HEART_RATE, clock, address=STRAP, scan_timeout_s=5) as (_sup, out):
        await collect(out, lambda s: sum(isinstance(c, Chunk) and c.spec.name == "rr" for c in s) >= 3)
        strap.hr.heal_on_resubscribe = False
        strap.hr.stalled = True  # connected, notifying, and silent
        after = await collect(
            out,
            lambda s: (
                any(isinstance(e, Connected) for e in s)
                and sum(isinstance(c, Chunk) and c.spec.name == "rr" for c in s) >= 2
            ),
            timeout_s=30,
        )
    reasons = [e.reason for e in after if isinstance(e, Disconnected)]
    assert len(reasons) == 1 and "DeviceStalled" in reasons[0]
    assert bluez.device(STRAP).connects == 2
