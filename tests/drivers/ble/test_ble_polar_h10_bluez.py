"""The Polar H10 driver through real bleak and D-Bus, against the fake BlueZ
playing a real ECG recording as PMD frames from a clock that was never set."""

import numpy as np

from agent.base.clock import Clock
from agent.base.events import Connected, Disconnected, Gap
from agent.base.stream import Chunk
from drivers.ble.plugin import POLAR_H10
from drivers.ble.pmd import Measurement, Op, Setting
from drivers.ble.uuids import PMD_DATA
from tests.drivers.ble.fake_bluez import FakeBlueZ
from tests.drivers.ble.fake_straps import PolarH10
from tests.drivers.ble.harness import chunks_of, make_driver, supervised, take
from tests.support.waiting import collect

H10 = "A0:9E:1A:B2:33:44"


def samples(stream: str, n: int):
    return lambda seen: sum(len(c) for c in chunks_of(seen, stream)) >= n


def true_times(h10: PolarH10, chunk: Chunk) -> np.ndarray:
    """When the fake sensor really took each sample of ``chunk`` (agent clock)."""
    assert chunk.device_t is not None
    ts = min(h10.frames, key=lambda k: abs(k - chunk.device_t[-1] * 1e9))  # float64 seconds keep ~0.1 µs here
    assert abs(ts - chunk.device_t[-1] * 1e9) < 1000
    last_t, _ = h10.frames[ts]
    rate = chunk.spec.rate_hz
    assert rate is not None
    return last_t - np.arange(len(chunk) - 1, -1, -1) / rate


async def test_ecg_acc_and_rr_stream_from_a_never_set_clock(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    h10 = bluez.add(PolarH10(clock, H10))
    driver = make_driver(POLAR_H10, clock, address=H10, scan_timeout_s=5)
    async with driver:
        seen = await take(driver.chunks(), lambda s: samples("ecg", 130 * 20)(s) and samples("rr", 10)(s))

    # Indications were on before the first write; GET and START for ECG and ACC with the settings
    # asked for; a polite STOP of both on the way out.
    assert all(indications_on for _, indications_on in h10.commands)
    assert [(c.op, c.measurement) for c, _ in h10.commands] == [
        (Op.GET_SETTINGS, Measurement.ECG),
        (Op.START, Measurement.ECG),
        (Op.GET_SETTINGS, Measurement.ACC),
        (Op.START, Measurement.ACC),
        (Op.STOP, Measurement.ECG),
        (Op.STOP, Measurement.ACC),
    ]
    assert h10.commands[1][0].settings == {Setting.SAMPLE_RATE: (130,), Setting.RESOLUTION: (14,)}
    assert h10.commands[3][0].settings == {Setting.SAMPLE_RATE: (200,), Setting.RESOLUTION: (16,), Setting.RANGE: (8,)}

    ecg = chunks_of(seen, "ecg")
    assert ecg[0].spec.rate_hz == 130 and ecg[0].spec.unit == "uV"
    assert [c.seq for c in ecg] == [73 * i for i in range(len(ecg))]
    x = np.concatenate([c.x[:, 0] for c in ecg])
    np.testing.assert_array_equal(x, h10.ecg[: len(x)].astype(np.float32))  # the real recording, sample for sample
    # The sensor thinks it is 2019; its clock runs 40 ppm fast; times still land on the agent clock.
    assert ecg[0].device_t is not None and 599_616_000 < ecg[0].device_t[0] < 599_616_100
    err = np.concatenate([c.t - true_times(h10, c) for c in ecg[20:]])
    # Never before the truth; late by at most the smallest delivery delay seen (x10 on this clock).
    assert err.min() > -0.005 and err.max() < 0.1, (err.min(), err.max())

    acc = chunks_of(seen, "acc")
    assert acc and acc[0].spec.rate_hz == 200 and len(acc[0]) == (232 - 3 - 10) // 6
    g = np.concatenate([c.x for c in acc])
    assert np.allclose(np.linalg.norm(g, axis=1), 1.0, atol=0.05)  # lying still: gravity, in g
    assert chunks_of(seen, "rr") and chunks_of(seen, "hr")
    assert driver.stats()["pmd_malformed"] == 0


async def test_start_waits_out_a_late_mtu_exchange(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    h10 = bluez.add(PolarH10(clock, H10))
    h10.mtu_delay_s = 0.3  # BlueZ's MTU exchange finishes after services resolve; until then: "invalid MTU"
    driver = make_driver(POLAR_H10, clock, address=H10, scan_timeout_s=5, acc=False, heart_rate=False)
    async with driver:
        await take(driver.chunks(), samples("ecg", 73 * 3))
        assert driver.link.mtu(PMD_DATA) == 232
    assert h10.start_times(Measurement.ECG) >= 2


async def test_a_stall_is_cured_by_restarting_the_streams(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    h10 = bluez.add(PolarH10(clock, H10))
    driver = make_driver(POLAR_H10, clock, address=H10, scan_timeout_s=5)
    async with driver:
        items = driver.chunks()
        await take(items, samples("ecg", 73 * 3))
        h10.stall()
        await take(items, samples("ecg", 73 * 6))
    assert driver.stalls == 1 and driver.link.connects == 1
    assert h10.start_times(Measurement.ECG) == 2  # START again after resubscribing ("already in state" is fine)


async def test_after_a_drop_the_streams_restart_by_themselves_and_the_gap_is_exact(bluez: FakeBlueZ) -> None:
    clock = Clock(speed=10)
    h10 = bluez.add(PolarH10(clock, H10))
    async with supervised(POLAR_H10, clock, address=H10, scan_timeout_s=5) as (_sup, out):
        before = await collect(out, lambda s: sum(isinstance(c, Chunk) and c.spec.name == "ecg" for c in s) >= 4)
        bluez.go_out_of_range(H10)
        await collect(out, lambda s: any(isinstance(e, Disconnected) for e in s))
        await clock.sleep(2.0)
        bluez.come_back(H10)
        after = await collect(
            out, lambda s: sum(isinstance(c, Chunk) and c.spec.name == "ecg" for c in s) >= 4, timeout_s=30
        )
    assert [e.attempt for e in after if isinstance(e, Connected)] == [2]
    assert h10.start_times(Measurement.ECG) == 2 and h10.start_times(Measurement.ACC) == 2

    ecg_before = [c for c in before if isinstance(c, Chunk) and c.spec.name == "ecg"]
    ecg_after = [c for c in after if isinstance(c, Chunk) and c.spec.name == "ecg"]
    last_before = max((c for c in ecg_before), key=lambda c: c.seq)
    first_after = ecg_after[0]
    assert last_before.device_t is not None and first_after.device_t is not None
    # The sensor's clock kept running through the drop: it says exactly how many samples were missed.
    expected = round((first_after.device_t[-1] - last_before.device_t[-1]) * 130) - len(first_after)
    gap = next(g for g in after if isinstance(g, Gap) and g.stream == "ecg")
    assert gap.cause == "reconnect" and gap.missing == expected > 130
    assert first_after.seq == last_before.next_seq + expected
