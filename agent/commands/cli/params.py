"""Command-line number types: like click's, but ``inf`` and ``nan`` are refused, as in the config."""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteRange(click.FloatRange):
    """A ``click.FloatRange`` that refuses ``inf``, ``nan`` and numbers too large to be finite."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number
