"""In a real browser (headless Chromium from Debian's packages, installed by
``scripts/chromium.sh``): each surface's Swagger UI runs "Try it out" on a list without a
field touched and shows demo records; a page from another origin reads and writes with
``credentials: "include"`` and reads a 400's body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from understudy.mock.app import create_app
from understudy.mock.config import Config

from .chromium import Browser, Page, install
from .conftest import LiveMock, running

# Press "Try it out" and "Execute" on one operation of the page, touching nothing else;
# the status and the body the UI shows.
TRY_IT_OUT = (Path(__file__).parent / "browser_try_it_out.js").read_text(encoding="utf-8")
LISTS = {  # mount prefix → a list operation (method, spec path)
    "/edm": ("get", "/api/v1/work/time-entries"),
    "/clockify/api": ("get", "/v1/workspaces/{workspaceId}/projects"),
    "/tracker": ("get", "/projects/{id}/time-entries"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        executable = install()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"no Chromium and it cannot be installed here: {exc}")
    chromium = Browser(executable)
    yield chromium
    chromium.close()


@pytest.fixture
def served(live_mock: LiveMock) -> LiveMock:
    return live_mock  # every surface, the demo tenant


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.page()
    yield tab
    tab.close()


@pytest.mark.parametrize("prefix", LISTS)
def test_try_it_out_on_a_list_shows_demo_records(served: LiveMock, page: Page, prefix: str) -> None:
    method, path = LISTS[prefix]
    page.goto(f"{served.root}{prefix}/ui/")
    page.wait_for("window.understudyReady === true")
    shown = page.evaluate(f"({TRY_IT_OUT})({json.dumps(method)}, {json.dumps(path)})")
    assert shown["status"] == "200", shown
    body = json.loads(shown["body"])
    records = body["data"] if isinstance(body, dict) else body
    assert len(records) > 0, shown["url"]


CROSS_ORIGIN_PAGE = """<!DOCTYPE html><html><body><script>
async function exercise(base, token) {
  const headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"};
  const call = (method, path, body) => fetch(base + path, {
    method, headers, credentials: "include", body: body && JSON.stringify(body)});
  const entries = "/api/v1/work/time-entries";
  const created = await call("POST", entries, {hours: 2, date: "2026-01-05T00:00:00Z"});
  const record = await created.json();
  const read = await call("GET", entries + "/" + record.id);
  const patched = await call("PATCH", entries + "/" + record.id, {notes: "from a browser"});
  const deleted = await call("DELETE", entries + "/" + record.id);
  const gone = await call("GET", entries + "/" + record.id);
  const refused = await call("POST", entries, {hours: "many"});
  return {
    statuses: [created, read, patched, deleted, gone, refused].map((r) => r.status),
    notes: (await patched.json()).notes,
    refused: await refused.json(),
  };
}
</script></body></html>"""


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = CROSS_ORIGIN_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_page_of_another_origin_writes_with_credentials_and_reads_a_400(
    page: Page, other_origin: str
) -> None:
    # credentials mode needs the page's origin named (--cors-origin), never "*"
    mock = create_app(Config(surfaces=("edm",), demo=False, cors_origins=(other_origin,)))
    with running(mock) as served:
        page.goto(other_origin + "/app.html")
        page.wait_for("typeof exercise === 'function'")
        token = served.token()
        result = page.evaluate(f"exercise({json.dumps(served.url)}, {json.dumps(token)})")
    assert result["statuses"] == [201, 200, 200, 204, 404, 400], result
    assert result["notes"] == "from a browser"
    assert result["refused"]["status"] == 400 and "hours" in json.dumps(result["refused"])
