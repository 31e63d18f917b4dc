"""The coordinator package: one libp2p host that registers nodes and runs jobs (see :mod:`.service`)."""

from .service import NEGOTIATE_TIMEOUT_S, Coordinator, runner_options

__all__ = ["Coordinator", "runner_options", "NEGOTIATE_TIMEOUT_S"]
