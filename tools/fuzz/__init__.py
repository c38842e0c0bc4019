"""Fuzz targets for every decoder and file reader, shared by ``scripts/fuzz`` and the test suite."""
