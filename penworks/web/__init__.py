"""The operator dashboard: static assets that the API serves (no build step, no CDN)."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

__all__ = ["STATIC_DIR"]
