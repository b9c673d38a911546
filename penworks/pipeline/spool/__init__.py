"""The store-and-forward spool: a bounded, crash-safe FIFO of byte records on disk."""

from penworks.pipeline.spool.files import Fsync, SpoolError, SpoolFull, SpoolRecord
from penworks.pipeline.spool.fill import FillAlert, FillWatch
from penworks.pipeline.spool.spool import Spool, SpoolStats

__all__ = [
    "FillAlert",
    "FillWatch",
    "Fsync",
    "Spool",
    "SpoolError",
    "SpoolFull",
    "SpoolRecord",
    "SpoolStats",
]
