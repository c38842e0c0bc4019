"""The agent's error tree, grouped by what the caller can do about it.

::

    AgentError
     ├── ConfigError (ValueError)            stop; exit 78 (EX_CONFIG), no restart loop
     │    ├── ModelError                     the distress model is missing or does not fit the features
     │    ├── AgentAlreadyRunning            another agent holds this runtime directory's socket (exit 75)
     │    └── RecordingUnreadable            a replayed file is not a readable recording (names file, reason)
     ├── DriverUnavailable (ImportError)     skip that driver, name the extra to install
     ├── DeviceError (OSError)               the supervisor retries with backoff
     │    ├── DeviceNotFound (LookupError)
     │    ├── DeviceDisconnected (ConnectionError)
     │    ├── DeviceStalled (TimeoutError)
     │    └── ScanUnavailable                nothing can be scanned this way (no stack, adapter off…)
     ├── ProtocolError (ValueError)          bad bytes: count, drop, keep going
     ├── SyncError (ConnectionError)         the outbox keeps the record; retry later
     ├── UpdateRefused                       a model update is refused or rolled back; the current model keeps deciding
     ├── RecordTooLarge (ValueError)         one record bigger than the whole outbox: refused, the rest kept
     ├── HandshakeRefused (ConnectionError)  the agent refused a VR client's hello (forbidden, bad token...)
     └── QueueClosed                         a bounded queue was closed and drained: its consumer is done

Each error also inherits the matching built-in exception, so callers that
only know the standard library still catch it sensibly. The ``edge-agent``
command turns them into exit codes in one place, :mod:`agent.commands.cli.exits`.
"""

from __future__ import annotations

from pathlib import Path

EX_CONFIG = 78  # sysexits.h; systemd's RestartPreventExitStatus=78 stops restart loops
EX_UNAVAILABLE = 69  # sysexits.h: a service (the Bluetooth stack, the broker) is not there
EX_TEMPFAIL = 75  # sysexits.h: try again later (the other agent may stop)
EX_DATAERR = 65  # sysexits.h: an input file is not what it should be
EX_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


class AgentError(Exception):
    """Root of every error the agent raises on purpose."""


class ConfigError(AgentError, ValueError):
    """The configuration is wrong; the message names the file, field and fix."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.field = field


class ModelError(ConfigError):
    """A model file is missing, unreadable, or was made for other features than this agent computes."""


class AgentAlreadyRunning(ConfigError):
    """Another agent answers on the VR socket: not a mistake in the file, so it gets its own message and exit."""


class RecordingUnreadable(ConfigError):
    """A recording file exists but cannot be read as one; the message names the file and the problem.

    A configuration error, not a device fault: retrying cannot mend a file,
    so the device stops (replay exits 78) instead of crash-looping on it.
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}", source=str(path), field="path")
        self.path = path
        self.problem = problem


class DriverUnavailable(AgentError, ImportError):
    """A driver's library is not installed; ``extra`` names what to install."""

    def __init__(self, driver: str, extra: str | None, cause: str) -> None:
        hint = f"pip install 'vr-edge-agent[{extra}]'" if extra else "reinstall the plugin that provides it"
        super().__init__(f"driver {driver!r} is unavailable ({cause}); install it with: {hint}")
        self.driver = driver
        self.extra = extra


class DeviceError(AgentError, OSError):
    """A device failed in a way worth retrying after a backoff."""


class DeviceNotFound(DeviceError, LookupError):
    """The device was not found (not advertising, unplugged, no such stream)."""


class DeviceDisconnected(DeviceError, ConnectionError):
    """The device went away while connected."""


class DeviceStalled(DeviceError, TimeoutError):
    """Connected, but samples stopped arriving at the expected cadence."""


class ScanUnavailable(DeviceError):
    """A driver cannot look for devices at all; says why and what fixes it, for ``edge-agent scan``."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; fix: {fix}")
        self.problem = problem
        self.fix = fix


class ProtocolError(AgentError, ValueError):
    """Malformed bytes from a sensor or a client; count them and drop them."""


class SyncError(AgentError, ConnectionError):
    """The cloud link failed; records stay in the outbox until delivered."""


class UpdateRefused(AgentError):
    """A model update was refused (or rolled back); ``reason`` is a short code for health records and tests.

    Codes: ``malformed``, ``signature``, ``untrusted``, ``older``, ``expired``, ``pinned``, ``contract``,
    ``too-large``, ``disk``, ``hash``, ``load``, ``nan``, ``shadow``, ``rolled-back``.
    """

    def __init__(self, reason: str, message: str, *, version: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.version = version
