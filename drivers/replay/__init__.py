"""The ``replay`` driver: real recordings from the shared data folder, played as live streams.

``plugin`` is the light descriptor; ``driver`` the driver class; ``playback``
turns loaded tracks into interleaved chunks; ``formats`` detects and loads
each recording format into :class:`~drivers.replay.recording.Track` objects.
"""
