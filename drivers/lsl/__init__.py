"""EEG (and any other stream) over Lab Streaming Layer: Muse, OpenBCI, any LSL outlet.

``plugin`` is the light entry-point descriptor (no pylsl); ``driver`` the
driver, loaded lazily; ``lib`` the one module that loads pylsl, after
``netconfig`` has fixed the network scope; ``reader`` the pull thread;
``layout``, ``selection`` and ``timeline`` the pure rules (channel names and
units, which stream, sequence numbers); ``simulate`` and ``sources`` are
``edge-agent simulate lsl``.
"""
