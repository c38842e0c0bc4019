"""Driver for sensor bands that speak the edge-bridge serial protocol
(``firmware-bridge/PROTOCOL.md``): COBS frames with CRC-16, a device hello,
sequence-numbered sample frames with device ticks, commands and errors."""
