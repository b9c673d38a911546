"""The operator web app: GET / serves its page, GET /app/... its modules, styles and icon.

The assets are files of the installed package (penworks/web/static); nothing is built and
nothing is fetched from elsewhere. Only the suffixes below are served, each with its own
content type, so a stray file in the folder is never served as something a browser runs.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from penworks.api.problems import ProblemError
from penworks.web import STATIC_DIR

router = APIRouter(include_in_schema=False)

ASSETS = "/app"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}

# The page runs only its own scripts and styles and talks only to its own server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

_HEADERS = {
    "Cache-Control": "no-cache",  # revalidate, so an upgrade is picked up at the next load
    "X-Content-Type-Options": "nosniff",
}


# Plain functions: FastAPI runs them in its thread pool, so the file checks never block the loop.


@router.get("/")
def app_page() -> FileResponse:
    return _serve(STATIC_DIR / "index.html", page=True)


@router.get(ASSETS + "/{path:path}")
def app_asset(path: str) -> FileResponse:
    return _serve(_asset_file(path), page=False)


def _asset_file(path: str) -> Path:
    """The file under STATIC_DIR that `path` names; a 404 problem for anything else."""
    parts = Path(path).parts
    candidate = STATIC_DIR.joinpath(*parts).resolve()
    if (
        any(part.startswith(".") for part in parts)
        or not candidate.is_relative_to(STATIC_DIR)
        or candidate.suffix not in CONTENT_TYPES
        or not candidate.is_file()
    ):
        raise ProblemError(404, "Not Found", f"the web app has no file {path!r}",
                           kind="no-such-asset")  # fmt: skip
    return candidate


def _serve(file: Path, *, page: bool) -> FileResponse:
    headers = dict(_HEADERS)
    if page:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["Referrer-Policy"] = "no-referrer"
    return FileResponse(file, media_type=CONTENT_TYPES[file.suffix], headers=headers)
