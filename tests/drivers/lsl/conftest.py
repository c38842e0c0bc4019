from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.drivers.lsl.outlets import Outlet


@pytest.fixture
def outlets() -> Iterator[Callable[..., Outlet]]:
    """Start simulator processes; every one still running is killed after the test."""
    started: list[Outlet] = []

    def start(*args: str, **kw: object) -> Outlet:
        outlet = Outlet(*args, **kw)  # type: ignore[arg-type]
        started.append(outlet)
        return outlet

    yield start
    for outlet in started:
        outlet.kill()
