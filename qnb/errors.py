"""Structured errors. Every error qnb raises for bad input carries machine-readable fields and
renders as ``{"error": {...}}`` JSON (the CLI contract: exit status 2 for input errors).

Non-negotiable: bad input gets a clear error naming the problem, and nothing accepted is lost.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QnbError", "QasmError", "TopologyError", "PlanningError", "ConfigError",
           "ProtocolError", "JobError", "FragmentError", "UnknownJobError", "UnsupportedConstructError"]


class QnbError(Exception):
    """Base class. ``type`` is a stable short name used in JSON and error frames."""

    type = "qnb_error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_json(self) -> dict:
        body = {"type": self.type, "message": self.message}
        body.update({k: v for k, v in self.fields.items()})
        return {"error": body}

    def __str__(self) -> str:
        return self.message


class QasmError(QnbError):
    """Invalid or unsupported circuit source. ``line``/``column`` are 1-based (None if unknown)."""

    type = "qasm_error"

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 construct: str | None = None, **fields: Any) -> None:
        super().__init__(message, line=line, column=column, construct=construct, **fields)
        self.line, self.column, self.construct = line, column, construct

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        return f"{where}{self.message}"


class UnsupportedConstructError(QasmError):
    """A construct that is valid OpenQASM but that qnb cannot lower or execute correctly."""

    type = "unsupported_construct"


class TopologyError(QnbError):
    """An invalid topology: a bad TOML file, generator spec, node or link (FR-004)."""

    type = "topology_error"


class PlanningError(QnbError):
    """No feasible plan. ``missing`` names the missing capability or violated constraint."""

    type = "planning_error"


class ConfigError(QnbError):
    """Invalid configuration: names the key, the bad value and the rule (FR-011)."""

    type = "config_error"

    def __init__(self, message: str, key: str | None = None, value: Any = None, rule: str | None = None) -> None:
        super().__init__(message, key=key, value=value, rule=rule)
        self.key, self.value, self.rule = key, value, rule


class ProtocolError(QnbError):
    """A malformed, oversized or schema-invalid wire frame or advertisement."""

    type = "protocol_error"

    def __init__(self, message: str, code: str = "bad_frame", **fields: Any) -> None:
        super().__init__(message, code=code, **fields)
        self.code = code


class JobError(QnbError):
    """A bad submit option (``field`` names it) or a job that cannot be waited for (FR-009)."""

    type = "job_error"


class UnknownJobError(JobError):
    """No job with this id is known to the mesh or coordinator (``job_id`` names it)."""

    type = "unknown_job"


class FragmentError(JobError):
    """A fragment could not run anywhere: which fragment, which nodes were tried, why each failed."""

    type = "fragment_error"

    def __init__(self, message: str, fragment: int, tried: list[dict] | None = None) -> None:
        super().__init__(message, fragment=fragment, tried=tried or [])
        self.fragment, self.tried = fragment, tried or []
