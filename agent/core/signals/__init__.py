"""Streaming signal processing: pure, synchronous, chunk in -> state out.

One module per concept: ``segments`` (gaps and blocks), ``filters`` and
``spectral`` (building blocks), ``ecg_peaks`` and ``ppg_pulses`` (beat
detection), ``beats`` (artifact and ectopic correction), ``hrv``, ``eda``,
``eeg``, ``quality``, and ``cardiac`` (one cardiac stream end to end).
``agent.core.features`` assembles them into the feature vector. See
docs/signals.md for definitions and deliberate differences from NeuroKit2.
"""
