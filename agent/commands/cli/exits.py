"""Errors become exit codes here, once, at the ``edge-agent`` group: commands raise, they do not exit.

The contract (sysexits.h, as systemd reads it):

====  ===================================================================
  78  EX_CONFIG: the configuration or an input named on the command line is
      wrong; the unit's RestartPreventExitStatus=78 stops a restart loop
  75  EX_TEMPFAIL: another agent holds this runtime directory; try later
  69  EX_UNAVAILABLE: a service is not there (the broker, the database,
      nothing to scan with); systemd may restart and it may come back
  65  EX_DATAERR: an input is not what it should be (a recording)
 130  interrupted by Ctrl-C (128 + SIGINT, as a shell reports it)
   1  a failure the agent could not name (a bug), with its traceback
====  ===================================================================
"""

from __future__ import annotations

import click

from agent.errors import (
    EX_CONFIG,
    EX_DATAERR,
    EX_INTERRUPTED,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    AgentAlreadyRunning,
    AgentError,
    ConfigError,
    DriverUnavailable,
    ScanUnavailable,
    SyncError,
    UpdateRefused,
)

# First match wins, so a subclass comes before its base.
EXIT_CODES: tuple[tuple[type[AgentError], int], ...] = (
    (AgentAlreadyRunning, EX_TEMPFAIL),
    (ConfigError, EX_CONFIG),
    (DriverUnavailable, EX_CONFIG),  # install the extra named, or change the config
    (UpdateRefused, EX_CONFIG),
    (ScanUnavailable, EX_UNAVAILABLE),
    (SyncError, EX_UNAVAILABLE),
    (AgentError, EX_DATAERR),  # bad bytes, an unreadable recording: retrying cannot help
)


def exit_code(exc: AgentError) -> int:
    """The exit code that tells a service manager (or a script) what to do about ``exc``."""
    code = getattr(exc, "exit_code", None)  # an error that knows better (a command's own failure)
    if isinstance(code, int):
        return code
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


def message(exc: AgentError) -> str:
    if isinstance(exc, ConfigError) and not isinstance(exc, AgentAlreadyRunning):
        return f"configuration error\n{exc}"
    return str(exc)


class ExitMapping:
    """Mixed into the top click group: an :class:`AgentError` or Ctrl-C from any command ends here."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except AgentError as exc:
            click.echo(f"{_prog(ctx)}: {message(exc)}", err=True)
            ctx.exit(exit_code(exc))
        except KeyboardInterrupt:
            click.echo(f"\n{_prog(ctx)}: interrupted", err=True)
            ctx.exit(EX_INTERRUPTED)


def _prog(ctx: click.Context) -> str:
    return " ".join(filter(None, ["edge-agent", ctx.invoked_subcommand]))

