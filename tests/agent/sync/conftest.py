"""Fixtures for the sync tests: a throwaway PKI and a real mosquitto."""

from __future__ import annotations

from tests.support.broker_fixtures import broker, pki  # noqa: F401 - fixtures
