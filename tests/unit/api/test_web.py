from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from penworks.api.problems import ProblemError
from penworks.api.routes.web import _asset_file
from penworks.web import STATIC_DIR
from tests.unit.api.fakes import FakeModel

ASSETS = sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())
CONTENTS = {p: p.read_bytes() for p in ASSETS}
# XML namespace names look like URLs but are never fetched; nothing else may name another host.
NAMESPACES = ("http://www.w3.org/2000/svg",)
EXPECTED_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}


def _url(path: Path) -> str:
    return "/app/" + path.relative_to(STATIC_DIR).as_posix()


async def test_root_serves_the_app(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<script type="module" src="/app/js/main.js"></script>' in page
    assert 'href="/app/app.css"' in page
    assert 'id="main"' in page


async def test_the_page_runs_only_its_own_code(anonymous: httpx.AsyncClient) -> None:
    headers = (await anonymous.get("/")).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_the_app_has_its_modules() -> None:
    names = {p.relative_to(STATIC_DIR).as_posix() for p in ASSETS}
    assert {"index.html", "app.css", "icon.svg", "js/main.js", "js/live.js", "js/api.js"} <= names
    assert any(n.startswith("js/views/") for n in names)


@pytest.mark.parametrize("asset", ASSETS, ids=lambda p: p.relative_to(STATIC_DIR).as_posix())
async def test_every_asset_is_served_with_its_type(
    anonymous: httpx.AsyncClient, asset: Path
) -> None:
    response = await anonymous.get(_url(asset))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(EXPECTED_TYPES[asset.suffix])
    assert response.content == CONTENTS[asset]


@pytest.mark.parametrize("asset", ASSETS, ids=lambda p: p.relative_to(STATIC_DIR).as_posix())
def test_no_asset_loads_anything_from_elsewhere(asset: Path) -> None:
    text = asset.read_text(encoding="utf-8")
    for name in NAMESPACES:
        text = text.replace(name, "")
    assert re.search(r"https?://", text) is None
    assert re.search(r"""(?:src|href)\s*=\s*["']//""", text) is None  # protocol-relative
    assert "@import" not in text  # styles fetch nothing either
    assert "url(" not in text


def test_modules_import_only_modules_of_the_app() -> None:
    for module in STATIC_DIR.rglob("*.js"):
        for target in re.findall(r"""^import .* from "([^"]+)";""", module.read_text(), re.M):
            assert target.startswith("./") or target.startswith("../"), (module, target)
            assert (module.parent / target).resolve().is_file(), (module, target)


def test_api_data_never_reaches_html_parsing() -> None:
    for module in STATIC_DIR.rglob("*.js"):
        text = module.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, (module, sink)


@pytest.mark.parametrize(
    "path",
    [
        "/app/missing.js",
        "/app/../__init__.py",
        "/app/%2e%2e/__init__.py",
        "/app/js",
        "/app/.hidden.js",
        "/app/js/../../__init__.py",
    ],
)
async def test_nothing_else_is_served_under_app(anonymous: httpx.AsyncClient, path: str) -> None:
    response = await anonymous.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["../__init__.py", "js/../../__init__.py", "/etc/passwd", ".x.js"])
def test_asset_paths_cannot_leave_the_folder(path: str) -> None:
    with pytest.raises(ProblemError) as refused:
        _asset_file(path)
    assert refused.value.status == 404


@pytest.fixture
def other_static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app served from a folder holding a text file and a page."""
    (tmp_path / "notes.txt").write_text("not an asset")
    (tmp_path / "page.html").write_text("<p>an asset</p>")
    monkeypatch.setattr("penworks.api.routes.web.STATIC_DIR", tmp_path.resolve())


@pytest.mark.usefixtures("other_static")
async def test_a_file_of_another_type_is_not_served(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/app/notes.txt")).status_code == 404
    assert (await anonymous.get("/app/page.html")).status_code == 200


async def test_docs_stay_where_they_were(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/docs")
    assert response.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in response.text


async def test_model_summary(client: httpx.AsyncClient, model: FakeModel) -> None:
    response = await client.get("/api/model")
    assert response.status_code == 200
    assert response.json() == model.summary()
