"""Settings: one TOML file + ``QNB_SECTION__KEY`` environment overrides, validated at start (FR-011).

Why this shape: every field carries its own doc string and :class:`Rule`; the same rule validates
values from every source and renders ``docs/configuration.md`` (:func:`render_docs`), so the docs
cannot drift from the code. Sections are frozen dataclasses that validate themselves in
``__post_init__``: an invalid ``Settings`` object cannot exist, however it was built.

Precedence, lowest first: defaults < TOML file < environment < ``overrides``.
Any bad value, unknown section/key or TOML syntax error raises :class:`qnb.errors.ConfigError`
naming the key (``"timeouts.exec"``), the bad value, the rule, and where the value came from.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Rule", "Settings", "MeshSettings", "TimeoutSettings", "RetrySettings", "ThresholdSettings",
           "IntervalSettings", "LimitSettings", "ParseSettings", "SecuritySettings", "PlannerSettings", "StoreSettings", "LoggingSettings",
           "SECTIONS", "ENV_PREFIX", "default_store_path", "render_docs", "field_specs"]

ENV_PREFIX = "QNB_"
DEFAULT_FILE = "qnb.toml"
_MiB = 1024 * 1024


# --------------------------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Rule:
    """What a field accepts. One object serves validation, env parsing and the generated docs."""

    kind: str                                   # "int" | "float" | "bool" | "str" | "path"
    min: float | None = None
    max: float | None = None
    min_open: bool = False                      # lower bound is exclusive (> instead of >=)
    choices: tuple[str, ...] | None = None
    nullable: bool = False                      # None allowed (TOML: leave the key out)
    check: Callable[[Any], str | None] | None = None   # extra check: returns a problem or None
    text: str | None = None                     # description of the extra check
    normalize: Callable[[Any], Any] | None = None

    def describe(self) -> str:
        names = {"int": "an integer", "float": "a number", "bool": "a boolean", "str": "a string", "path": "a path"}
        text = 'one of ' + ", ".join(f'"{c}"' for c in self.choices) if self.choices else names[self.kind]
        lo = None if self.min is None else f"{'>' if self.min_open else '>='} {_num(self.min)}"
        hi = None if self.max is None else f"<= {_num(self.max)}"
        if lo or hi:
            text += " " + " and ".join(b for b in (lo, hi) if b)
        if self.text:
            text += f" ({self.text})"
        if self.nullable:
            text += ", or unset"
        return text

    def validate(self, value: Any) -> Any:
        """Return the canonical value or raise ``ValueError`` with the problem (key added by caller)."""
        if value is None:
            if self.nullable:
                return None
            raise ValueError("must be set")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError("must be a boolean (true/false)")
        elif self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("must be an integer")
        elif self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError("must be a number")
            value = float(value)
            if math.isnan(value):
                raise ValueError("must be a number, not NaN")
        elif self.kind in ("str", "path"):
            if not isinstance(value, str):
                raise ValueError("must be a string")
            if not value:
                raise ValueError("must not be empty")
        if self.normalize is not None:
            value = self.normalize(value)
        if self.choices is not None and value not in self.choices:
            raise ValueError("must be " + self.describe())
        if self.min is not None and (value <= self.min if self.min_open else value < self.min):
            raise ValueError("must be " + self.describe())
        if self.max is not None and value > self.max:
            raise ValueError("must be " + self.describe())
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise ValueError(problem)
        return value

    def parse_text(self, text: str) -> Any:
        """Parse an environment/override string by the field's type, then validate it."""
        stripped = text.strip()
        if self.nullable and stripped.lower() in ("", "none", "null"):
            return None
        if self.kind == "bool":
            low = stripped.lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError("must be a boolean (true/false/1/0/yes/no/on/off)")
        if self.kind == "int":
            try:
                return self.validate(int(stripped))
            except ValueError as e:
                if "invalid literal" in str(e):
                    raise ValueError("must be an integer") from None
                raise
        if self.kind == "float":
            try:
                number = float(stripped)
            except ValueError:
                raise ValueError("must be a number") from None
            return self.validate(number)
        return self.validate(text)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _setting(default: Any, doc: str, rule: Rule, *, shown: str | None = None,
             factory: Callable[[], Any] | None = None) -> Any:
    meta = {"doc": doc, "rule": rule, "shown": shown}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


def _check_host(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    if _HOSTNAME.fullmatch(value):
        return None
    return "must be an IP address or a host name"


def _check_psk(value: str) -> str | None:
    return None if re.fullmatch(r"[0-9a-fA-F]{64}", value) else "must be 64 hex digits (a 32-byte key)"


def default_store_path() -> str:
    """``<user data dir>/qnb/qnb.duckdb`` (platformdirs if installed, else ~/.local/share)."""
    try:
        import platformdirs
        base = Path(platformdirs.user_data_dir())
    except ImportError:  # pragma: no cover - platformdirs is present in the dev environment
        base = Path.home() / ".local" / "share"
    return str(base / "qnb" / "qnb.duckdb")


_POS = Rule("float", min=0, min_open=True)
_TIMEOUT = Rule("float", min=0, min_open=True, max=3600)
_FRACTION = Rule("float", min=0, max=1)
_WEIGHT = Rule("float", min=0)


# ---------------------------------------------------------------------------------------- sections

class _Section:
    """Validation shared by every section: each field by its rule, then the section's cross rules."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                value = f.metadata["rule"].validate(value)
            except ValueError as e:
                key = f"{self.SECTION}.{f.name}"
                raise ConfigError(f"{key}: {value!r} is invalid: {e}", key=key, value=value,
                                  rule=f.metadata["rule"].describe()) from None
            object.__setattr__(self, f.name, value)
        self._cross_check()

    def _cross_check(self) -> None:
        """Rules that involve more than one field (documented in ``CROSS_RULES``)."""

    SECTION = ""
    CROSS_RULES: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeshSettings(_Section):
    """The embedded mesh: how many simulated QPU nodes, their size, transport security."""

    SECTION = "mesh"
    nodes: int = _setting(5, "Number of simulated QPU nodes started by `qnb.start()`.", Rule("int", min=1, max=1000))
    qubits_per_node: int = _setting(4, "Qubits on each simulated node.", Rule("int", min=1, max=64))
    listen_host: str = _setting("127.0.0.1", "Interface the libp2p hosts listen on.",
                                Rule("str", check=_check_host, text="an IP address or host name"))
    security: str = _setting("noise", "Secure channel of the mesh (FR-014); plaintext is never offered.",
                             Rule("str", choices=("noise", "tls")))
    psk: str | None = _setting(None, "Pre-shared key of a private network; peers without it cannot connect.",
                               Rule("str", nullable=True, check=_check_psk, text="64 hex digits, a 32-byte key"))
    noiseless: bool = _setting(False, "Run every node without a noise model (ideal gates).", Rule("bool"))
    seed: int | None = _setting(None, "Seed for topology generation, noise and sampling (NFR-001).",
                                Rule("int", min=0, nullable=True))


@dataclass(frozen=True)
class TimeoutSettings(_Section):
    """Per-operation-class timeouts in seconds (FR-007)."""

    SECTION = "timeouts"
    advert: float = _setting(2.0, "Advertisement push to the coordinator.", _TIMEOUT)
    reserve: float = _setting(2.0, "Reservation request round trip.", _TIMEOUT)
    exec: float = _setting(30.0, "One fragment execution on a node, including state transfer.", _TIMEOUT)
    probe: float = _setting(1.0, "Quality/RTT probe.", _TIMEOUT)
    connect: float = _setting(5.0, "Dialing a peer.", _TIMEOUT)
    control: float = _setting(5.0, "Control/admin commands (fault injection, drain).", _TIMEOUT)
    reservation_queue: float = _setting(600.0, "Longest a job waits in line for a busy node's next free "
                                        "window before the node counts as refusing.", _TIMEOUT)

    def for_op(self, op_class: str) -> float:
        """Timeout of an operation class by name (``"exec"``, ``"reserve"``, ...)."""
        if op_class not in {f.name for f in dataclasses.fields(self)}:
            raise ConfigError(f"unknown operation class {op_class!r}", key=f"timeouts.{op_class}",
                              value=op_class, rule="one of " + ", ".join(f.name for f in dataclasses.fields(self)))
        return getattr(self, op_class)


@dataclass(frozen=True)
class RetrySettings(_Section):
    """Bounded exponential backoff between attempts of the same fragment (FR-007)."""

    SECTION = "retry"
    CROSS_RULES = ("retry.backoff_max_s >= retry.backoff_initial_s",)
    max_attempts: int = _setting(3, "Attempts per fragment on one node before falling back to another node.",
                                 Rule("int", min=1, max=100))
    backoff_initial_s: float = _setting(0.05, "Delay before the second attempt.", _POS)
    backoff_max_s: float = _setting(1.0, "Upper bound of any delay.", _POS)
    backoff_multiplier: float = _setting(2.0, "Growth factor of the delay per attempt.", Rule("float", min=1, max=10))
    jitter: float = _setting(0.2, "Random spread of each delay as a fraction (0.2 = +/-20 %).", _FRACTION)

    def _cross_check(self) -> None:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ConfigError(
                f"retry.backoff_max_s: {self.backoff_max_s!r} is invalid: must be >= retry.backoff_initial_s "
                f"({self.backoff_initial_s!r})", key="retry.backoff_max_s", value=self.backoff_max_s,
                rule="retry.backoff_max_s >= retry.backoff_initial_s")

    def backoff_s(self, attempt: int, rand: float = 0.5) -> float:
        """Delay after failed attempt ``attempt`` (1-based); ``rand`` in [0, 1) spreads it by the jitter.

        Capped at ``backoff_max_s`` after jitter, so the bound holds for every ``rand``."""
        base = min(self.backoff_max_s, self.backoff_initial_s * self.backoff_multiplier ** max(0, attempt - 1))
        return min(self.backoff_max_s, base * (1.0 + self.jitter * (2.0 * rand - 1.0)))


@dataclass(frozen=True)
class ThresholdSettings(_Section):
    """When nodes and links count as degraded (FR-008), and the default fidelity floor of jobs."""

    SECTION = "thresholds"
    degraded_fidelity_2q: float = _setting(0.95, "A node whose two-qubit gate fidelity is below this is degraded.",
                                           Rule("float", min=0, max=1, min_open=True))
    degraded_link_rtt_ms: float = _setting(50.0, "A link whose round-trip time (ms) is above this is degraded.", _POS)
    min_fidelity: float | None = _setting(None, "Default minimum estimated fidelity a plan must reach; unset = none.",
                                          Rule("float", min=0, max=1, nullable=True))


@dataclass(frozen=True)
class IntervalSettings(_Section):
    """Periods of the background loops, in seconds."""

    SECTION = "intervals"
    CROSS_RULES = ("intervals.ttl_s >= 2 x intervals.advertise_s",)
    advertise_s: float = _setting(1.0, "How often each node re-advertises its capabilities and quality.", _POS)
    ttl_s: float = _setting(3.0, "A registry entry not refreshed for this long is stale.", _POS)
    probe_s: float = _setting(2.0, "How often link RTT/quality probes run.", _POS)
    reservation_hold_s: float = _setting(30.0, "How long an unconfirmed reservation window is held.", _POS)
    metrics_sample_s: float = _setting(5.0, "How often metrics are sampled into the store.", _POS)

    def _cross_check(self) -> None:
        if self.ttl_s < 2 * self.advertise_s:
            raise ConfigError(
                f"intervals.ttl_s: {self.ttl_s!r} is invalid: must be >= 2 x intervals.advertise_s "
                f"(= {2 * self.advertise_s!r}) so one lost advertisement does not expire a node",
                key="intervals.ttl_s", value=self.ttl_s, rule="intervals.ttl_s >= 2 x intervals.advertise_s")


@dataclass(frozen=True)
class LimitSettings(_Section):
    """Hard limits on inputs and resources (FR-014); inputs beyond them are rejected with an error."""

    SECTION = "limits"
    max_frame_bytes: int = _setting(64 * _MiB, "Largest wire frame accepted (64 MiB).",
                                    Rule("int", min=1024, max=1024 * _MiB))
    statevector_max_qubits: int = _setting(20, "Largest circuit simulated as a state vector.",
                                           Rule("int", min=1, max=30))
    density_matrix_max_qubits: int = _setting(10, "Largest circuit simulated as a density matrix (noisy runs).",
                                              Rule("int", min=1, max=15))
    max_shots: int = _setting(1_000_000, "Most shots one job may request.", Rule("int", min=1))
    max_qasm_bytes: int = _setting(_MiB, "Largest circuit source accepted (1 MiB).", Rule("int", min=64))
    max_jobs_in_flight: int = _setting(4, "Jobs executing at the same time; the rest wait queued.",
                                       Rule("int", min=1, max=1024))
    queue_max: int = _setting(10_000, "Most queued jobs; submissions beyond are refused.", Rule("int", min=1))
    max_reservation_s: float = _setting(3600.0, "Longest reservation window a node grants (seconds).",
                                        Rule("float", min=0, min_open=True, max=86_400 * 7))
    max_hold_s: float = _setting(3600.0, "Longest an unused reservation may be held (seconds).",
                                 Rule("float", min=0, min_open=True, max=86_400 * 7))
    max_reservation_lead_s: float = _setting(86_400.0, "How far ahead of now a reservation window may start.",
                                             Rule("float", min=0, max=86_400 * 365))


@dataclass(frozen=True)
class ParseSettings(_Section):
    """Bounds the circuit front ends check *while* parsing (FR-003, FR-014): a program beyond any of
    them is rejected with a located error naming the limit, before the work it would cause."""

    SECTION = "parse"
    max_qubits: int = _setting(4096, "Most qubits a program may declare (all registers together).",
                               Rule("int", min=1, max=1_000_000))
    max_clbits: int = _setting(65536, "Most classical bits a program may declare (all registers together).",
                               Rule("int", min=1, max=10_000_000))
    max_operations: int = _setting(2_000_000, "Most operations after expanding loops, gate bodies and modifiers.",
                                   Rule("int", min=1, max=100_000_000))
    max_loop_iterations: int = _setting(1_000_000, "Most iterations of any one static loop.",
                                        Rule("int", min=1, max=100_000_000))
    max_expression_depth: int = _setting(200, "Deepest nesting of an expression or statement block.",
                                         Rule("int", min=8, max=10_000))
    max_literal_digits: int = _setting(400, "Most digits of one numeric literal.", Rule("int", min=8, max=100_000))
    max_magnitude: float = _setting(1e30, "Largest absolute value a constant expression may take.",
                                    Rule("float", min=1.0, max=1e300))
    include_path: str | None = _setting(None, "Extra directories `include` may read from, separated by the OS "
                                        "path separator; the bundled include directory is always allowed, "
                                        "nothing else is.", Rule("str", nullable=True))
    deadline_s: float = _setting(10.0, "Longest a client's circuit may take to parse and plan (worker thread).",
                                 _TIMEOUT)


def _check_key(value: str | None) -> str | None:
    if value is None:
        return None
    return None if len(value) >= 32 else "must be at least 32 characters"


@dataclass(frozen=True)
class SecuritySettings(_Section):
    """Who may call what on the mesh (FR-014): roles, admission and per-peer rate limits.
    Lists are comma-separated peer ids; see docs/security.md for the role model."""

    SECTION = "security"
    admission_key: str | None = _setting(None, "Shared secret from which role tokens are derived "
                                         "(`qnb token`); unset = only allow-lists and bootstrap trust admit.",
                                         Rule("str", nullable=True, check=_check_key, text="at least 32 characters"))
    operators: str | None = _setting(None, "Peers allowed to send node-control (fault) commands.",
                                     Rule("str", nullable=True))
    coordinators: str | None = _setting(None, "Peers a node accepts as coordinators (reserve, exec).",
                                        Rule("str", nullable=True))
    nodes: str | None = _setting(None, "Peers a coordinator admits into its registry.", Rule("str", nullable=True))
    clients: str | None = _setting(None, "Peers allowed to submit and query jobs; unset = every connected peer.",
                                   Rule("str", nullable=True))
    rate_per_s: float = _setting(2000.0, "Requests per second one peer may send on one protocol (sustained).",
                                 Rule("float", min=0, min_open=True, max=1e7))
    rate_burst: int = _setting(4000, "Requests one peer may send at once on one protocol.",
                               Rule("int", min=1, max=10_000_000))


@dataclass(frozen=True)
class PlannerSettings(_Section):
    """Weights of the plan cost ``latency * ms + fidelity * (-ln F) + ebits * n`` (FR-004)."""

    SECTION = "planner"
    weight_latency: float = _setting(0.001, "Cost per millisecond of estimated latency.", _WEIGHT)
    weight_fidelity: float = _setting(1.0, "Cost per unit of -ln(estimated fidelity).", _WEIGHT)
    weight_ebits: float = _setting(0.05, "Cost per consumed ebit (remote gate or teleport).", _WEIGHT)

    def cost_weights(self):
        """These weights as the planner's :class:`qnb.planning.plan.CostWeights`."""
        from .planning.plan import CostWeights
        return CostWeights(latency=self.weight_latency, fidelity=self.weight_fidelity, ebits=self.weight_ebits)


@dataclass(frozen=True)
class StoreSettings(_Section):
    """The DuckDB file of this mesh (FR-010) and how the writer batches."""

    SECTION = "store"
    path: str = _setting(None, 'DuckDB file; ":memory:" (only when set explicitly) keeps nothing on disk. '
                         "Relative paths in a file are relative to that file.",
                         Rule("path"), shown="<user data dir>/qnb/qnb.duckdb", factory=default_store_path)
    batch_ms: float = _setting(50.0, "The writer commits at most this long after the first queued row.",
                               Rule("float", min=0, max=10_000))
    batch_max: int = _setting(500, "The writer commits after this many queued rows at most.",
                              Rule("int", min=1, max=100_000))


@dataclass(frozen=True)
class LoggingSettings(_Section):
    """Structured logs (FR-012)."""

    SECTION = "logging"
    level: str = _setting("INFO", "Lowest level logged by qnb loggers.",
                          Rule("str", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
                               normalize=lambda v: v.upper(), text="case-insensitive"))
    destination: str = _setting("stderr", '"stderr", "none", or a file path (JSON lines appended).',
                                Rule("str", text='"stderr", "none" or a file path'))
    format: str = _setting("json", "One JSON object per line, or human-readable text.",
                           Rule("str", choices=("json", "text")))


#: settings never printed by ``qnb config show`` (section, key)
SECRETS = (("mesh", "psk"), ("security", "admission_key"))

SECTIONS: dict[str, type[_Section]] = {
    "mesh": MeshSettings, "timeouts": TimeoutSettings, "retry": RetrySettings, "thresholds": ThresholdSettings,
    "intervals": IntervalSettings, "limits": LimitSettings, "parse": ParseSettings,
    "security": SecuritySettings, "planner": PlannerSettings, "store": StoreSettings, "logging": LoggingSettings,
}
_PATH_KEYS = {("store", "path"), ("logging", "destination")}
_PATH_LITERALS = {":memory:", "stderr", "none"}


def field_specs(section: str) -> list[dataclasses.Field]:
    """The dataclass fields of a section (each with ``metadata["doc"]`` and ``metadata["rule"]``)."""
    return list(dataclasses.fields(SECTIONS[section]))


# ---------------------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class Settings:
    """All of qnb's configuration; build it with :meth:`load` or :meth:`default`."""

    mesh: MeshSettings = field(default_factory=MeshSettings)
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    thresholds: ThresholdSettings = field(default_factory=ThresholdSettings)
    intervals: IntervalSettings = field(default_factory=IntervalSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    parse: ParseSettings = field(default_factory=ParseSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    planner: PlannerSettings = field(default_factory=PlannerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source: str | None = field(default=None, compare=False)   # the file it was read from, if any

    @classmethod
    def default(cls) -> Settings:
        return cls()

    @classmethod
    def load(cls, path: str | Path | None = None, env: Mapping[str, str] | None = None,
             overrides: Mapping[str, Any] | None = None) -> Settings:
        """Defaults < ``path`` (or ``$QNB_CONFIG``, or ``./qnb.toml`` if present) < env < overrides.

        ``overrides`` takes nested ``{"mesh": {"nodes": 3}}`` or dotted ``{"mesh.nodes": 3}`` keys;
        string values for non-string fields are parsed like environment values."""
        env = os.environ if env is None else env
        layers: dict[tuple[str, str], tuple[Any, str, bool]] = {}   # (section, key) -> (value, source, is_text)
        file_path = _resolve_file(path, env)
        if file_path is not None:
            for (section, key), value in _flatten_file(file_path).items():
                if (section, key) in _PATH_KEYS and isinstance(value, str):
                    value = _relative_to(value, file_path.parent)
                layers[(section, key)] = (value, f"file {file_path}", False)
        for name, text in sorted(env.items()):
            if name.startswith(ENV_PREFIX) and "__" in name[len(ENV_PREFIX):]:
                section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
                _check_known(section, key, f"environment variable {name}", text)
                layers[(section, key)] = (text, f"environment variable {name}", True)
        for (section, key), value in _flatten_overrides(overrides or {}).items():
            layers[(section, key)] = (value, "overrides", isinstance(value, str))
        return cls._build(layers, source=str(file_path) if file_path else None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "dict") -> Settings:
        """Validate a nested ``{section: {key: value}}`` mapping (the shape of :meth:`to_dict`)."""
        layers = {k: (v, source, False) for k, v in _flatten_nested(data, source).items()}
        return cls._build(layers, source=None)

    @classmethod
    def _build(cls, layers: Mapping[tuple[str, str], tuple[Any, str, bool]], source: str | None) -> Settings:
        sections = {}
        for name, section_cls in SECTIONS.items():
            kwargs = {}
            for f in dataclasses.fields(section_cls):
                if (name, f.name) not in layers:
                    continue
                value, origin, is_text = layers[(name, f.name)]
                rule: Rule = f.metadata["rule"]
                if is_text and rule.kind not in ("str", "path"):
                    try:
                        value = rule.parse_text(value)
                    except ValueError as e:
                        key = f"{name}.{f.name}"
                        raise ConfigError(f"{key}: {value!r} (from {origin}) is invalid: {e}", key=key,
                                          value=value, rule=rule.describe()) from None
                kwargs[f.name] = value
            try:
                sections[name] = section_cls(**kwargs)
            except ConfigError as e:
                origin = layers.get(tuple(e.key.split(".", 1)), (None, None, None))[1] if e.key else None
                if origin is None:
                    raise
                msg = e.message.replace(" is invalid:", f" (from {origin}) is invalid:", 1)
                raise ConfigError(msg, key=e.key, value=e.value, rule=e.rule) from None
        return cls(**sections, source=source)

    # ---------------------------------------------------------------------------------- output

    def to_dict(self, *, redact: bool = False) -> dict[str, dict[str, Any]]:
        """Nested plain values; ``redact`` hides the secrets (pre-shared key, admission key)."""
        out = {}
        for name in SECTIONS:
            section = getattr(self, name)
            out[name] = {f.name: getattr(section, f.name) for f in dataclasses.fields(section)}
        if redact:
            for section, key in SECRETS:
                if out[section][key] is not None:
                    out[section][key] = "<redacted>"
        return out

    def to_toml(self, *, redact: bool = False) -> str:
        """A TOML document that :meth:`load` reads back to an equal ``Settings``."""
        lines: list[str] = []
        for name, values in self.to_dict(redact=redact).items():
            lines.append(f"[{name}]")
            for key, value in values.items():
                if value is None:
                    lines.append(f"# {key} = (unset)")
                else:
                    lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return json.dumps(value, ensure_ascii=False)   # JSON string escapes are valid TOML basic strings


# ----------------------------------------------------------------------------------------- sources

def _resolve_file(path: str | Path | None, env: Mapping[str, str]) -> Path | None:
    if path is None and env.get("QNB_CONFIG"):
        path = env["QNB_CONFIG"]
    if path is None:
        candidate = Path.cwd() / DEFAULT_FILE
        return candidate if candidate.is_file() else None
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"configuration file not found: {p}", key=None, value=str(p), rule="an existing TOML file")
    return p


def _flatten_file(path: Path) -> dict[tuple[str, str], Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        err = ConfigError(f"{path}: invalid TOML: {e}", key=None, value=None, rule="TOML syntax")
        err.fields.update(line=line, column=col, file=str(path))
        err.line, err.column = line, col
        raise err from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read configuration: {e}", key=None, value=str(path),
                          rule="a readable UTF-8 TOML file") from None
    return _flatten_nested(data, f"file {path}")


def _flatten_nested(data: Mapping[str, Any], origin: str) -> dict[tuple[str, str], Any]:
    out = {}
    for section, body in data.items():
        _check_section(section, origin)
        if not isinstance(body, Mapping):
            raise ConfigError(f"[{section}] (from {origin}) must be a table of settings, got {body!r}",
                              key=section, value=body, rule="a TOML table")
        for key, value in body.items():
            _check_known(section, key, origin, value)
            out[(section, key)] = value
    return out


def _flatten_overrides(overrides: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    out = {}
    for name, value in overrides.items():
        if "." in name:
            section, _, key = name.partition(".")
            _check_known(section, key, "overrides", value)
            out[(section, key)] = value
        else:
            out.update(_flatten_nested({name: value}, "overrides"))
    return out


def _check_section(section: str, origin: str) -> None:
    if section not in SECTIONS:
        hint = difflib.get_close_matches(section, list(SECTIONS), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ConfigError(f"unknown section '{section}' in {origin}{suggestion}", key=section, value=None,
                          rule="sections: " + ", ".join(SECTIONS))


def _check_known(section: str, key: str, origin: str, value: Any) -> None:
    _check_section(section, origin)
    names = [f.name for f in dataclasses.fields(SECTIONS[section])]
    if key not in names:
        hint = difflib.get_close_matches(key, names, n=1)
        suggestion = f" (did you mean '{section}.{hint[0]}'?)" if hint else ""
        raise ConfigError(f"unknown key '{section}.{key}' in {origin}{suggestion}", key=f"{section}.{key}",
                          value=value, rule=f"keys of [{section}]: " + ", ".join(names))


def _relative_to(value: str, base: Path) -> str:
    if not value or value in _PATH_LITERALS:
        return value
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p))


# -------------------------------------------------------------------------------------------- docs

def render_docs() -> str:
    """Markdown reference of every setting; ``docs/configuration.md`` is exactly this text."""
    out = [
        "# Configuration reference",
        "",
        "<!-- GENERATED by `qnb config docs` from qnb/config.py; do not edit by hand. -->",
        "",
        "qnb reads one TOML file (FR-011): the path given to `Settings.load(path)` or `qnb --config PATH`,",
        "else `$QNB_CONFIG`, else `./qnb.toml` if it exists. Every key is optional.",
        "Precedence, lowest first: defaults < file < environment < explicit overrides.",
        "",
        "Environment overrides are named `QNB_<SECTION>__<KEY>` (double underscore), for example",
        "`QNB_TIMEOUTS__EXEC=10` or `QNB_MESH__NOISELESS=true`; the text is parsed by the field's type",
        "(booleans: true/false/1/0/yes/no/on/off; `none` or an empty value unsets an optional field).",
        "",
        "Invalid values, unknown sections or keys (with a \"did you mean\" hint) and TOML syntax errors",
        "stop start-up with a `ConfigError` naming the key, the value, the rule and the source.",
        "Check a file with `qnb config check [PATH]`; print the effective settings with `qnb config show`.",
        "",
    ]
    for name, section_cls in SECTIONS.items():
        out += [f"## [{name}]", "", (section_cls.__doc__ or "").strip(), "",
                "| key | default | rule | environment | meaning |", "|---|---|---|---|---|"]
        for f in dataclasses.fields(section_cls):
            meta = f.metadata
            if meta["shown"] is not None:
                default = meta["shown"]
            elif f.default is None:
                default = "unset"
            else:
                default = _toml_value(f.default)
            env = f"`{ENV_PREFIX}{name.upper()}__{f.name.upper()}`"
            out.append(f"| `{f.name}` | `{default}` | {meta['rule'].describe()} | {env} | {meta['doc']} |")
        if section_cls.CROSS_RULES:
            out += ["", "Cross-field rules: " + "; ".join(f"`{r}`" for r in section_cls.CROSS_RULES) + "."]
        out.append("")
    example = Settings(store=StoreSettings(path="/var/lib/qnb/mesh.duckdb")).to_toml().rstrip()
    out += ["## Example", "", "```toml", example, "```", ""]
    return "\n".join(out)
