"""Regenerate golden.txt: python firmware-bridge/vectors/make_golden.py (from the repo root).

Frame vectors come from the Python codec; they are golden because the C core,
written independently, must reproduce them byte for byte (make -C firmware-bridge test).
CRC and COBS vectors are catalogue values and are asserted here before writing.
"""

import binascii
import json
from pathlib import Path

import numpy as np

from drivers.bridge import framing as f
from drivers.bridge import messages as m

L = []


def c(s):
    L.append(s)


c("# edge-bridge protocol v1 golden vectors, read by the C unit tests (firmware-bridge/tests)")
c("# and by the Python tests (tests/drivers/bridge). One vector per line: a kind, then key=value")
c("# fields separated by single spaces; hex is lowercase without separators; '-' is empty.")
c("# msg= is the decoded message as compact JSON (the C tests ignore it).")
c("#")
c("# crc: CRC-16/CCITT-FALSE of data. 123456789 -> 29b1 is the catalogue check value.")
for data in [b"123456789", b"", b"\x00", b"A", bytes(range(256))]:
    c(f"crc data={data.hex() or '-'} crc={binascii.crc_hqx(data, 0xFFFF):04x}")
c("# cobs: the examples of Cheshire & Baker's COBS as listed on Wikipedia, plus the empty input.")
wiki = [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (bytes(range(255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]
for dec, enc in wiki:
    assert f.cobs_encode(dec) == enc, dec
    assert f.cobs_decode(enc) == dec
    c(f"cobs decoded={dec.hex() or '-'} encoded={enc.hex()}")


def js(d):
    return json.dumps(d, separators=(",", ":"))


def frame(name, msg, d):
    t, p = m.encode_payload(msg)
    w = m.encode(msg)
    c(f"frame name={name} type={t:02x} payload={p.hex() or '-'} wire={w.hex()} msg={js(d)}")


c("# frame: a message, its type and payload, and its bytes on the wire (delimiters included).")


def hello(name, dev, fw, tick, rate, batch, chans):
    frame(
        name,
        m.Hello(dev, fw, tick, rate, batch, tuple(m.ChannelInfo(*ch) for ch in chans)),
        {
            "kind": "hello",
            "device_id": dev,
            "firmware": fw,
            "tick_hz": tick,
            "rate_mhz": rate,
            "batch": batch,
            "channels": [list(ch) for ch in chans],
        },
    )


hello("hello_host", "bridge-host", "edge-bridge-host_1.0.0", 1000000, 128000, 4, [("eda", "uS", -3)])
hello("hello_two_channels", "gsr-07", "2.1.0", 32768, 250000, 8, [("eda", "uS", -3), ("ppg", "mV", 0)])
hello("hello_grove_arduino", "grove-gsr-01", "0.9.0", 1000000, 10000, 1, [("eda", "uS", -2)])


def samples(name, seq, tick, dt, vals):
    frame(
        name,
        m.Samples(seq, tick, np.array(dt), np.array(vals, dtype=np.int32)),
        {"kind": "samples", "seq": seq, "tick": tick, "dt": dt, "values": vals},
    )


samples("samples_one", 0, 0, [0], [[11734]])
samples("samples_batch4", 1234, 4294960000, [0, 7812, 15625, 23437], [[11734], [11746], [11752], [11700]])
samples("samples_two_channels_negative", 4294967295, 65536, [0, 4, 8], [[5, -1], [-2147483648, 2147483647], [0, 256]])
frame("ack_start", m.Ack(7, m.CMD_START), {"kind": "ack", "token": 7, "command": 0x11})
frame(
    "error_bad_rate",
    m.Error(3, m.ERR_BAD_ARGUMENT, 2000000, "rate_out_of_range"),
    {"kind": "error", "token": 3, "code": 3, "detail": 2000000, "message": "rate_out_of_range"},
)
frame(
    "error_overrun",
    m.Error(0, m.ERR_OVERRUN, 12, "samples_dropped"),
    {"kind": "error", "token": 0, "code": 5, "detail": 12, "message": "samples_dropped"},
)
frame(
    "error_sensor",
    m.Error(0, m.ERR_SENSOR, 0, "electrodes_open"),
    {"kind": "error", "token": 0, "code": 6, "detail": 0, "message": "electrodes_open"},
)
frame(
    "error_sensor_ok",
    m.Error(0, m.ERR_SENSOR_OK, 0, "sensor_ok"),
    {"kind": "error", "token": 0, "code": 7, "detail": 0, "message": "sensor_ok"},
)
frame("cmd_get_hello", m.Command(m.CMD_GET_HELLO, 1), {"kind": "command", "type": 0x10, "token": 1})
frame("cmd_start", m.Command(m.CMD_START, 2), {"kind": "command", "type": 0x11, "token": 2})
frame("cmd_stop", m.Command(m.CMD_STOP, 255), {"kind": "command", "type": 0x12, "token": 255})
frame(
    "cmd_set_rate",
    m.Command(m.CMD_SET_RATE, 4, 256000),
    {"kind": "command", "type": 0x13, "token": 4, "rate_mhz": 256000},
)
# Largest payload: 16 samples of 3 channels = 9 + 16*14 = 233 bytes; also a 250-byte raw payload.
frame_big = m.Samples(1, 2, np.arange(16) * 100, (np.arange(48, dtype=np.int32).reshape(16, 3) - 20) * 1000)
frame(
    "samples_batch16_three_channels",
    frame_big,
    {"kind": "samples", "seq": 1, "tick": 2, "dt": (np.arange(16) * 100).tolist(), "values": frame_big.raw.tolist()},
)

c("# reject: bytes on the wire that hold no valid frame, and the reason counter they land in.")
good = m.encode(m.Ack(7, m.CMD_START))
bad = bytearray(good)
bad[3] ^= 0x40
c(f"reject name=flipped_bit wire={bytes(bad).hex()} reason=bad_crc")
body = bytes((2, m.ACK, 7, 0x11))
w2 = (bytes(1) + f.cobs_encode(body + f.crc16(body).to_bytes(2, "little")) + bytes(1)).hex()
c(f"reject name=version_2 wire={w2} reason=bad_version")
c("reject name=cobs_overrun wire=000901020300 reason=bad_cobs")
c("reject name=too_short wire=0003010200 reason=too_short")
c(f"reject name=too_long wire=00{'55' * 300}00 reason=too_long")
body = bytes((1, m.ACK, 7, 0x11))
c(
    f"reject name=truncated_crc wire=00{f.cobs_encode(body + f.crc16(body).to_bytes(2, 'little')[:1]).hex()}00 reason=bad_crc"
)

c("# stream: a byte stream with noise; frames= lists the types decoded in order, then the reject counts.")
a = m.encode(m.Ack(1, m.CMD_GET_HELLO))
s = m.encode(m.Samples(9, 100, np.array([0, 10]), np.array([[1], [2]], dtype=np.int32)))
stream = b"\x13\x37garbage" + a + b"\xff\xfe\x00\x01" + s + bad + s[: len(s) // 2] + a
d = f.CobsFrameDecoder()
got = d.feed(stream)
c(
    f"stream name=noise_between_frames bytes={stream.hex()} frames={','.join(f'{x.type:02x}' for x in got)} "
    + " ".join(f"{k}={v}" for k, v in sorted(d.rejected.items()))
)
Path(__file__).with_name("golden.txt").write_text("\n".join(L) + "\n")
print(len(L), dict(d.rejected), [x.type for x in got])
