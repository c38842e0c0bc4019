"""Driver for the Shimmer3 GSR+ over Bluetooth serial (``/dev/rfcommN``), and an
emulator of it that speaks the same protocol on a pseudo-terminal."""
