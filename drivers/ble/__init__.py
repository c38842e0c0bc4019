"""BLE drivers: standard Heart Rate Service straps and the Polar H10's raw ECG.

``plugin`` (descriptors and options) imports nothing heavy; the driver
modules import bleak and are loaded lazily through the plugin descriptors.
"""
