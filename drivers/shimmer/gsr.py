"""Shimmer3 GSR+ raw readings to skin conductance (Shimmer Java API ``SensorGSR``).

The channel's top two bits are the amplifier range in use, the low twelve
the ADC reading. Resistance follows the amplifier equation with that
range's feedback resistor, then is clamped to what the configured range can
measure. A reading below 683 cannot come from skin (it is below the
amplifier's 0.5 V reference): the electrodes are open. Shimmer clamps it
to 683 on range 3; we decode every such reading that way, whatever the
range, as newer Shimmer libraries do, and flag it so the driver can report
the sensor as off the skin instead of passing the clamped value as real.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RANGE_AUTO = 4
FEEDBACK_KOHM = np.array([40.2, 287.0, 1000.0, 3300.0])
MIN_KOHM = np.array([8.0, 63.0, 220.0, 680.0])
MAX_KOHM = np.array([63.0, 220.0, 680.0, 4700.0])
ADC_MAX = 4095
ADC_VREF = 3.0
AMP_VREF = 0.5
OPEN_CIRCUIT_ADC = 683  # first reading above the amplifier reference: 682.5


def split_raw(raw: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(raw, dtype=np.int64)
    return (r & 0xC000) >> 14, r & 0x0FFF


def gsr_to_microsiemens(raw: npt.ArrayLike, range_setting: int = RANGE_AUTO) -> tuple[np.ndarray, np.ndarray]:
    """Conductance in µS and an open-circuit mask, for raw channel-0x1C values."""
    if range_setting not in (0, 1, 2, 3, RANGE_AUTO):
        raise ValueError(f"GSR range setting must be 0-3 or 4 (auto), got {range_setting}")
    rng, adc = split_raw(raw)
    is_open = adc < OPEN_CIRCUIT_ADC
    adc = np.where(is_open, OPEN_CIRCUIT_ADC, adc)
    rng = np.where(is_open, 3, rng)
    volts = adc * ADC_VREF / ADC_MAX
    kohm = FEEDBACK_KOHM[rng] / (volts / AMP_VREF - 1.0)
    if range_setting == RANGE_AUTO:
        kohm = np.clip(kohm, MIN_KOHM[0], MAX_KOHM[3])
    else:
        kohm = np.clip(kohm, MIN_KOHM[range_setting], MAX_KOHM[range_setting])
    return 1000.0 / kohm, is_open


def microsiemens_to_gsr(us: npt.ArrayLike) -> np.ndarray:
    """What an auto-ranging GSR+ reports for a skin conductance: the emulator's ADC."""
    kohm = np.clip(1000.0 / np.asarray(us, dtype=np.float64), MIN_KOHM[0], MAX_KOHM[3])
    rng = np.clip(np.searchsorted(MAX_KOHM, kohm, side="right"), 0, 3)
    volts = AMP_VREF * (FEEDBACK_KOHM[rng] / kohm + 1.0)
    adc = np.clip(np.round(volts * ADC_MAX / ADC_VREF), OPEN_CIRCUIT_ADC, ADC_MAX).astype(np.int64)
    return (rng << 14) | adc
