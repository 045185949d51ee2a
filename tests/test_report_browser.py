"""The report in a real browser: headless Chromium, driven over the DevTools protocol.

A report of a run whose responses, names and manifest hold script, event handlers,
``javascript:`` links and broken HTML must run none of it, log no console error, load nothing,
and still show its charts and a working item browser. Skips only when Chromium is not installed
(``tools/install_test_deps.sh`` installs it).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hostile_run import HOSTILE_RESPONSES, PWN, make_hostile_run

CHROMIUM = next(
    (p for p in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")) if p),
    None,
)
if not CHROMIUM or not Path(CHROMIUM).exists():
    pytest.skip(
        "headless Chromium not installed (run tools/install_test_deps.sh)", allow_module_level=True
    )
websocket = pytest.importorskip("websocket", reason="websocket-client (the test extra) missing")


class Browser:
    """Headless Chromium with one page, spoken to over its DevTools websocket."""

    def __init__(self, profile: Path):
        self.process = subprocess.Popen(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--remote-debugging-port=0",
                "--window-size=1366,900", "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        from urllib.request import urlopen

        for _ in range(100):
            pages = json.loads(urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5).read())
            pages = [p for p in pages if p.get("type") == "page"]
            if pages:
                break
            time.sleep(0.05)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        seen = len(self.events)
        while time.monotonic() < deadline:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.js("new Promise(r => setTimeout(r, 200))")  # let late errors arrive

    def js(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and log errors (CSP violations among them)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from trustbench.report.html import write_report

    run_dir = tmp_path_factory.mktemp("hostile-run")
    expected = make_hostile_run(run_dir, copies=20)  # 240 items: more than one page
    return write_report(run_dir), expected


def test_harness_sees_script_and_csp_errors(browser, tmp_path):
    # The checks below could not fail if the harness were blind: show that it is not.
    unsafe = tmp_path / "unsafe.html"
    unsafe.write_text(f'<body><img src=x onerror="{PWN}"></body>')
    browser.open(unsafe.as_uri())
    assert browser.js("window.__pwned") == 1
    blocked = tmp_path / "blocked.html"
    blocked.write_text(
        '<meta http-equiv="Content-Security-Policy" content="script-src \'nonce-abc\'">'
        f"<body><script>{PWN}</script></body>"
    )
    browser.open(blocked.as_uri())
    assert browser.js("window.__pwned") is None
    assert any("Content Security Policy" in p for p in browser.problems())


def test_hostile_report_runs_no_data_script_and_logs_no_error(browser, report):
    path, expected = report
    browser.open(path.as_uri())
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.problems() == []
    assert browser.requests() == [path.as_uri()]  # nothing else was loaded
    # The hostile texts are on the page as text, not as elements.
    assert browser.js("document.querySelectorAll('main img, main a, main iframe').length") == 0
    assert "<script>" in browser.js("document.getElementById('model').textContent")
    assert browser.js("document.title").startswith("trustbench report: openai:<script>")


def test_charts_and_tables_are_present(browser, report):
    path, expected = report
    browser.open(path.as_uri())
    assert browser.js("document.querySelectorAll('#radar svg text').length") > 6
    charts = browser.js("document.querySelectorAll('.metric-chart svg').length")
    assert charts == len(expected["tasks"])
    width = browser.js("document.querySelector('#radar svg').getBoundingClientRect().width")
    assert width > 200  # drawn, not collapsed
    assert browser.js("document.querySelectorAll('#items-body tr').length") == 100  # one page
    assert "240 matching" in browser.js("document.getElementById('count').textContent")


def test_item_browser_shows_text_filters_and_pages(browser, report):
    path, expected = report
    browser.open(path.as_uri())
    rows = expected["rows"]
    # Click the first row: the detail pane shows prompt, response and verdict as text.
    browser.js("document.querySelector('#items-body tr').click()")
    assert browser.js("document.getElementById('detail').hidden") is False
    assert browser.js("document.getElementById('d-response').textContent") == rows[0]["response"]
    assert browser.js("document.getElementById('d-prompt').textContent").endswith(
        rows[0]["response"]
    )
    verdict = browser.js("document.getElementById('d-verdict').textContent")
    assert "refusal-layered v1" in verdict and "<script>" in verdict  # the fields, as text
    # Filter: invalid items only.
    browser.js(
        "var s = document.getElementById('f-invalid'); s.value = '1';"
        "s.dispatchEvent(new Event('change'))"
    )
    shown = browser.js("document.querySelectorAll('#items-body tr').length")
    assert shown == min(100, expected["invalid"])
    cells = browser.js(
        "Array.from(document.querySelectorAll('#items-body tr td:nth-child(5)'), td => td.textContent)"
    )
    assert set(cells) == {"yes"}
    # Search text (plus the invalid filter still set).
    browser.js(
        "var q = document.getElementById('f-search'); q.value = 'ONERROR';"
        "q.dispatchEvent(new Event('input'))"
    )
    browser.js("new Promise(r => setTimeout(r, 400))")
    wanted = sum(
        1 for r in rows if not r["verdict"]["valid"] and "onerror" in r["response"].lower()
    )
    assert wanted > 0
    assert browser.js("document.querySelectorAll('#items-body tr').length") == wanted
    # Reset, then page forward.
    browser.js("document.getElementById('f-reset').click()")
    browser.js("document.getElementById('next').click()")
    assert "items 101–200 of 240" in browser.js("document.getElementById('count').textContent")
    # A task card's "browse items" button filters the browser to that task.
    browser.js("document.querySelector('button.browse[data-task=\"safety/misuse\"]').click()")
    count = sum(1 for r in rows if r["task"] == "safety/misuse")
    assert f"{count} matching" in browser.js("document.getElementById('count').textContent")
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.problems() == []
    assert set(HOSTILE_RESPONSES) == {r["response"] for r in rows}
