"""Simulated sensors: a chest strap, a Polar-H10-like ECG, a GSR band and an
EEG headset, driven coherently by one seeded stress scenario.

They are product code (the demo and technicians use them) and register like
any other driver family. ``plugin`` and ``options`` stay light; the device
modules are loaded lazily by :meth:`agent.base.driver.DriverPlugin.load`.
"""
