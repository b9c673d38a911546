"""GET /: the landing page (links, health and a live table of latest values)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from penworks.web import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/")
async def landing_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
