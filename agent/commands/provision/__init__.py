"""``edge-agent provision``: identity, cloud credentials and sensors, checked and then written.

- :mod:`request`: what was asked for (a provisioning file and/or flags), typed;
- :mod:`sensors`: pairing (``--sensor`` flags and scan results to device tables, rfcomm bindings);
- :mod:`checks`: TLS files and a real broker CONNECT (shared with ``edge-agent check``);
- :mod:`plan`: the transaction: check everything, then write everything;
- :mod:`files`: staging, atomic replacement, ownership and modes;
- :mod:`toml_writer`: the config's TOML.
"""
