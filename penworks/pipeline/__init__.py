"""Services that move data between the bus and the store (the history writer), and store
and forward: the on-disk spool that keeps what the bus or the store cannot take yet."""

from penworks.pipeline.history_writer import HistoryWriter, WriterStats
from penworks.pipeline.spool import FillAlert, Fsync, Spool, SpoolError, SpoolFull, SpoolStats
from penworks.pipeline.spooling_publisher import PublisherStats, SpoolingPublisher

__all__ = [
    "FillAlert",
    "Fsync",
    "HistoryWriter",
    "PublisherStats",
    "Spool",
    "SpoolError",
    "SpoolFull",
    "SpoolStats",
    "SpoolingPublisher",
    "WriterStats",
]
