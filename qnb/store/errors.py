"""The store's structured error. Lives here (not in qnb/errors.py, which is a shared contract) so
the store can be built without touching other layers; it is a :class:`qnb.errors.QnbError`, so the
CLI prints it as JSON with ``--json`` and exits with status 2."""

from __future__ import annotations

from typing import Any

from ..errors import QnbError

__all__ = ["StoreError"]


class StoreError(QnbError):
    """``code``: not_found | locked | read_only | schema_newer | bad_table | bad_column | bad_key |
    bad_value | sql | closed | migration."""

    type = "store_error"

    def __init__(self, message: str, code: str = "store", **fields: Any) -> None:
        super().__init__(message, code=code, **fields)
        self.code = code
