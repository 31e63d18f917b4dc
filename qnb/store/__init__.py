"""DuckDB persistence (FR-010): schema with versioned up/down migrations, the batched writer thread,
read helpers and the hash-chained audit log. See docs/store.md.

    store = Store.open(settings.store.path)          # migrates to the latest schema
    writer = StoreWriter.from_settings(store, settings)
    writer.insert("jobs", {...}); writer.flush(5.0)
    store.sql("select * from job_summary").df()
"""

from .audit import GENESIS, AuditCheck, append_audit, verify_audit
from .db import MEMORY, Store
from .errors import StoreError
from .migrations import LATEST, MIGRATIONS, Migration
from .result import Result
from .writer import DeadLetter, StoreWriter

__all__ = ["Store", "StoreWriter", "StoreError", "Result", "DeadLetter", "Migration", "MIGRATIONS", "LATEST",
           "MEMORY", "append_audit", "verify_audit", "AuditCheck", "GENESIS"]
