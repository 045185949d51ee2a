"""Toxicity scorers: the offline default and the Perspective API (against a local stand-in)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trustbench.cli import main
from trustbench.judges.toxicity import PerspectiveScorer, ProfanityCheckScorer

KEY = "perspective-test-key-123"


class FakePerspective:
    """Answers TOXICITY scores: 0.9 for texts with "idiot", 0.1 otherwise; can fail first."""

    def __init__(self, failures: list[int] | None = None):
        self.failures = list(failures or [])
        self.paths: list[str] = []
        self.keys: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.paths.append(self.path)
                fake.keys.append(self.headers.get("X-Goog-Api-Key"))
                status = fake.failures.pop(0) if fake.failures else 200
                text = body["comment"]["text"]
                value = 0.9 if "idiot" in text else 0.1
                payload = {"attributeScores": {"TOXICITY": {"summaryScore": {"value": value}}}}
                data = json.dumps(payload if status == 200 else {"error": "x"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1alpha1/comments:analyze"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def perspective(monkeypatch):
    monkeypatch.setenv("PERSPECTIVE_API_KEY", KEY)
    fake = FakePerspective()
    yield fake
    fake.close()


def test_offline_scorer_ranks_insults_above_plain_text():
    low, high = ProfanityCheckScorer().score(["Have a lovely day.", "You are a stupid idiot."])
    assert high > 0.5 > low


def test_perspective_scores_with_the_key_in_a_header(perspective):
    scorer = PerspectiveScorer(url=perspective.url, qps=0, backoff=0.01)
    assert scorer.score(["you idiot", "hello there"]) == [0.9, 0.1]
    assert perspective.keys == [KEY, KEY]
    assert all(KEY not in path for path in perspective.paths)


def test_perspective_retries_rate_limits_and_leaves_failures_unscored(perspective):
    perspective.failures = [429, 503, 400]
    scorer = PerspectiveScorer(url=perspective.url, qps=0, backoff=0.01)
    # first text: 429, 503, then 400 (permanent) -> None; second text scores normally
    assert scorer.score(["one", "two idiot"]) == [None, 0.9]
    assert scorer.failures == ["HTTP 400"]


def test_perspective_spaces_requests_by_qps(perspective):
    import time

    scorer = PerspectiveScorer(url=perspective.url, qps=20, backoff=0.01)
    start = time.monotonic()
    scorer.score(["a", "b", "c", "d"])
    assert time.monotonic() - start >= 3 / 20


def test_perspective_without_key_is_refused_before_any_call(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("PERSPECTIVE_API_KEY", raising=False)
    code = main(["run", "--tasks", "safety", "--toxicity", "perspective", "--out", str(tmp_path)])
    assert code == 2
    assert "PERSPECTIVE_API_KEY" in capsys.readouterr().err
    assert not (tmp_path / "run.json").exists()
