"""Reading a run folder back: the manifest, the metrics and one flat row per item.

Shared by the HTML report and :func:`trustbench.load_run`; plain dicts here, DataFrames in
``load_run``, so that the report needs no pandas.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import DataError, UsageError

MANIFEST_FILE, RESULTS_FILE, RESPONSES_FILE = "run.json", "results.json", "responses.jsonl"

# Words of a field name that mark a credential (``api_key``, ``hfToken``, ``Authorization``);
# their values are never shown. ``max_tokens`` counts tokens and is not one.
SECRET_WORDS = {
    "key", "keys", "apikey", "token", "secret", "secrets", "authorization", "authorisation",
    "auth", "password", "passwd", "credential", "credentials", "cookie", "bearer", "signature",
}  # fmt: skip
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# ``api_key_env: OPENAI_API_KEY`` names a variable, it does not hold the key: shown as is.
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
REDACTED = "[redacted]"


@dataclass
class RunFiles:
    """The three files of a run folder, parsed."""

    run_dir: Path
    manifest: dict[str, Any]
    results: dict[str, Any]
    responses: list[dict[str, Any]]


def read_run(run_dir: str | Path) -> RunFiles:
    """Read ``run.json``, ``results.json`` and ``responses.jsonl``; a one-line error otherwise."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise UsageError(f"{run_dir}: no such run folder")
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: not a folder; give a trustbench run folder")
    for name in (MANIFEST_FILE, RESULTS_FILE, RESPONSES_FILE):
        if not (run_dir / name).is_file():
            raise DataError(
                str(run_dir / name), f"not found; is {run_dir} a trustbench run folder?"
            )
    manifest = _read_json_object(run_dir / MANIFEST_FILE)
    results = _read_json_object(run_dir / RESULTS_FILE)
    if not isinstance(results.get("tasks"), dict):
        raise DataError(str(run_dir / RESULTS_FILE), "no 'tasks' object", field="tasks")
    responses = []
    path = run_dir / RESPONSES_FILE
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(str(path), f"line {number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "task" not in row:
                raise DataError(str(path), f"line {number}: not an item row (no 'task')")
            responses.append(row)
    return RunFiles(run_dir, manifest, results, responses)


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(str(path), f"not JSON (line {exc.lineno}: {exc.msg})") from None
    except UnicodeDecodeError:
        raise DataError(str(path), "not UTF-8 text") from None
    if not isinstance(value, dict):
        raise DataError(str(path), "not a JSON object")
    return value


def prompt_text(messages: Any) -> str:
    """The prompt as a person reads it: the one user message, or every turn with its role."""
    if not isinstance(messages, list) or not messages:
        return ""
    if len(messages) == 1 and isinstance(messages[0], dict):
        return str(messages[0].get("content", ""))
    return "\n\n".join(
        f"[{m.get('role', '?')}]\n{m.get('content', '')}" if isinstance(m, dict) else str(m)
        for m in messages
    )


def task_dimension(results: dict[str, Any], task_id: str) -> str:
    task = results.get("tasks", {}).get(task_id)
    if isinstance(task, dict) and task.get("dimension"):
        return str(task["dimension"])
    return task_id.split("/", 1)[0]


def item_rows(run: RunFiles) -> list[dict[str, Any]]:
    """One flat dict per item: where it is from, what was asked and answered, what the judge read."""
    rows = []
    for row in run.responses:
        verdict = row.get("verdict") if isinstance(row.get("verdict"), dict) else {}
        fields = verdict.get("fields") if isinstance(verdict.get("fields"), dict) else {}
        valid = verdict.get("valid")
        correct = fields.get("correct")
        rows.append(
            {
                "task": row["task"],
                "dimension": task_dimension(run.results, row["task"]),
                "item_id": str(row.get("item_id", "")),
                "prompt": prompt_text(row.get("messages")),
                "response": row.get("response") if row.get("response") is not None else "",
                "label": verdict.get("label"),
                "valid": valid,
                "invalid": valid is False,
                "correct": correct if isinstance(correct, bool) else None,
                "judge": verdict.get("judge"),
                "judge_version": verdict.get("judge_version"),
                "layer": verdict.get("layer"),
                "score": verdict.get("score"),
                "verdict_fields": fields,
                "error": row.get("error"),
                "finish_reason": row.get("finish_reason"),
                "cached": row.get("cached"),
                "key": row.get("key"),
                "messages": row.get("messages"),
                "record": row.get("record"),
            }
        )
    return rows


def metric_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat dict per (task, metric) of ``results.json``."""
    rows = []
    for task_id, task in results.get("tasks", {}).items():
        for name, metric in (task.get("metrics") or {}).items():
            ci = metric.get("ci95") or [None, None]
            better = metric.get("higher_is_better")
            rows.append(
                {
                    "task": task_id,
                    "dimension": task.get("dimension") or task_id.split("/", 1)[0],
                    "metric": name,
                    "value": metric.get("value"),
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "direction": "higher" if better else "lower",
                    "higher_is_better": better,
                    "n": metric.get("n"),
                    "primary": bool(metric.get("primary")),
                    "is_trustllm_formula": name.endswith("_trustllm"),
                    "invalid": task.get("invalid"),
                    "invalid_rate": task.get("invalid_rate"),
                    "errors": task.get("errors", 0),
                    "task_score": task.get("score"),
                    "description": metric.get("description"),
                }
            )
    return rows


def is_secret_name(name: str) -> bool:
    """Whether a field name says its value is a credential."""
    return any(word.lower() in SECRET_WORDS for word in _WORD.findall(name))


def redact(value: Any, name: str = "") -> Any:
    """A copy with every credential-like field replaced, and credentials stripped from URLs."""
    if name and is_secret_name(name):
        env_name = name.lower().endswith("_env") and isinstance(value, str)
        if not (env_name and _ENV_NAME.fullmatch(value)):
            return REDACTED
    if isinstance(value, dict):
        return {key: redact(item, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, name) for item in value]
    if isinstance(value, str) and "://" in value:
        return _redact_url(value)
    return value


def _redact_url(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass
class RunData:
    """A run folder for notebooks: ``items`` and ``metrics`` as pandas DataFrames.

    ``items``: one row per item (task, dimension, item_id, prompt, response, label, valid,
    invalid, correct, judge, judge_version, layer, score, verdict_fields, error, finish_reason,
    cached, key, messages, record). ``metrics``: one row per (task, metric) with value, ci_low,
    ci_high, direction, n, primary, is_trustllm_formula, the task's invalid count and rate.
    ``manifest`` is ``run.json``, ``results`` is ``results.json``.
    """

    run_dir: Path
    items: Any  # pandas.DataFrame
    metrics: Any  # pandas.DataFrame
    manifest: dict[str, Any]
    results: dict[str, Any]

    @property
    def scores(self) -> dict[str, Any]:
        """Overall, per-dimension and per-task trust scores."""
        return self.results.get("scores") or {}

    def __repr__(self) -> str:
        return f"RunData({self.run_dir}, {len(self.items)} items, {len(self.metrics)} metrics)"


ITEM_COLUMNS = [
    "task", "dimension", "item_id", "prompt", "response", "label", "valid", "invalid", "correct",
    "judge", "judge_version", "layer", "score", "verdict_fields", "error", "finish_reason",
    "cached", "key", "messages", "record",
]  # fmt: skip
METRIC_COLUMNS = [
    "task", "dimension", "metric", "value", "ci_low", "ci_high", "direction", "higher_is_better",
    "n", "primary", "is_trustllm_formula", "invalid", "invalid_rate", "errors", "task_score",
    "description",
]  # fmt: skip


def load_run(run_dir: str | Path) -> RunData:
    import pandas as pd

    run = read_run(run_dir)
    items = pd.DataFrame(item_rows(run), columns=ITEM_COLUMNS)
    metrics = pd.DataFrame(metric_rows(run.results), columns=METRIC_COLUMNS)
    for column in ("value", "ci_low", "ci_high", "invalid_rate", "task_score"):
        metrics[column] = pd.to_numeric(metrics[column]).astype("float64")
    return RunData(run.run_dir, items, metrics, run.manifest, run.results)
