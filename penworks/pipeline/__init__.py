"""Services that move data between the bus and the store (the history writer)."""

from penworks.pipeline.history_writer import HistoryWriter, WriterStats

__all__ = ["HistoryWriter", "WriterStats"]
