"""EEG (and any other stream) over Lab Streaming Layer: Muse, OpenBCI, any LSL outlet.

``plugin`` is the light descriptor; ``driver`` is the driver, loaded lazily;
``lib`` is the one module that loads pylsl, after fixing the network scope;
``simulate`` is ``edge-agent simulate lsl``.
"""
