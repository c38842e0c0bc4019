"""The self-test's data-protection step: plain MQTT, readable credentials, certificates about to expire."""

from __future__ import annotations

from agent.commands.protection import broker_certificate_warnings, static_warnings
from agent.commands.selftest.step import Context, Step


async def check_protection(ctx: Context) -> list[Step]:
    warnings = static_warnings(ctx.config) + await broker_certificate_warnings(ctx.config, ctx.broker_timeout_s)
    if not warnings:
        return [Step("data protection", "pass", "TLS, private credentials, certificates valid > 30 days")]
    return [Step("data protection", "warn", "", w.text, w.fix) for w in warnings]
