"""Penworks: an open smart-building operating system."""

__version__ = "0.1.0"
