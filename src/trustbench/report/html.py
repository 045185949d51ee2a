"""The HTML report of one run: one self-contained file, safe to open whatever the model said.

Safety model: every value from the run reaches the page either through Jinja2 with autoescape,
inside a sanitised SVG chart, or as JSON in a ``<script type="application/json">`` island whose
``<``, ``>``, ``&``, U+2028 and U+2029 are ``\\u`` escapes; the page's one script builds the item
browser with ``textContent`` only. A Content-Security-Policy allows no network at all and only the
script that carries this page's random nonce, so even an escaping bug could not run a script
from the data or load anything.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..data.schemas import DIMENSIONS
from .files import write_text
from .rundata import RunFiles, item_rows, read_run, redact

REPORT_FILE = "report.html"
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def json_island(value: Any) -> str:
    """JSON that is safe between ``<script type="application/json">`` tags.

    No ``</script>``, ``<!--`` or ``]]>`` can appear in it, and it parses back to ``value``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # one str.replace per character to escape (a pass in C each), not a Python step per character
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def csp(nonce: str) -> str:
    """No network, no plugin, no form, no base; only the nonce-carrying script runs."""
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'"
    )


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _scalar(value: Any) -> str:
    if value is None or value == {} or value == []:
        return "—"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(map(str, value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _flatten(prefix: str, value: Any, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, rows)
    else:
        rows.append((prefix, _scalar(value)))


def manifest_rows(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The run manifest as (field, value) rows, credentials redacted, long parts summarised."""
    safe = redact(manifest)
    rows: list[tuple[str, str]] = []
    for key, value in safe.items():
        if key == "tasks" and isinstance(value, dict):
            rows.append(("tasks", f"{len(value)} (versions and judges under each task below)"))
        elif key == "sampling" and isinstance(value, dict):
            groups: Counter[str] = Counter(
                ", ".join(f"{k} {v}" for k, v in params.items())
                for params in value.values()
                if isinstance(params, dict)
            )
            rows.append(
                ("sampling", "\n".join(f"{g}: {n} task(s)" for g, n in groups.most_common()))
            )
        elif key == "data" and isinstance(value, dict):
            files = value.get("files")
            for sub, item in value.items():
                if sub == "files" and isinstance(files, dict):
                    rows.append(("data.files", f"{len(files)} file(s), sha256 in run.json"))
                else:
                    _flatten(f"data.{sub}", item, rows)
        else:
            _flatten(key, value, rows)
    return rows


def _dimension_order(tasks: dict[str, Any]) -> list[str]:
    present = {task.get("dimension") or t.split("/", 1)[0] for t, task in tasks.items()}
    return [d for d in DIMENSIONS if d in present] + sorted(present - set(DIMENSIONS))


def chart_rows(metrics: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a task's chart, from its metrics as ``results.json`` holds them."""
    return [
        {
            "label": name + (" (primary)" if metric.get("primary") else ""),
            "value": metric.get("value"),
            "ci_low": (metric.get("ci95") or [None, None])[0],
            "ci_high": (metric.get("ci95") or [None, None])[1],
            "higher_is_better": metric.get("higher_is_better"),
        }
        for name, metric in metrics.items()
    ]


def chart_key(rows: Any) -> str:
    """What a chart drawn ahead of the report is filed under: the rows (or radar series) it
    shows."""
    return json.dumps(rows, sort_keys=True)


def radar_series(
    scores: Mapping[str, Any], manifest: Mapping[str, Any], results: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The report's radar: the model's score per TrustLLM dimension (``scores`` as in
    ``results.json``)."""
    run = (results or {}).get("run") or {}
    model = (manifest.get("model") or run.get("model") or {}).get("spec")
    dimension_scores = scores.get("dimensions") or {}
    return {str(model or "model"): {d: dimension_scores.get(d) for d in DIMENSIONS}}


def task_chart(rows: list[dict[str, Any]], charts: Mapping[str, str] | None = None) -> str:
    """A task's chart: the one drawn ahead for the same rows (a run draws each task's while
    later tasks generate), else drawn now."""
    from .charts import interval_bars_svg

    if not rows:
        return ""
    drawn = (charts or {}).get(chart_key(rows))
    return drawn if drawn is not None else interval_bars_svg(rows)


def _task_sections(run: RunFiles, charts: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    tasks = run.results["tasks"]
    manifest_tasks = run.manifest.get("tasks") or {}
    scores = (run.results.get("scores") or {}).get("dimensions") or {}
    sections = []
    for dimension in _dimension_order(tasks):
        cards = []
        for task_id, task in tasks.items():
            if (task.get("dimension") or task_id.split("/", 1)[0]) != dimension:
                continue
            metrics = []
            for name, metric in (task.get("metrics") or {}).items():
                ci = metric.get("ci95")
                metrics.append(
                    {
                        "name": name,
                        "value": _fmt(metric.get("value")),
                        "ci": f"{ci[0]:.3f} – {ci[1]:.3f}" if ci else "—",
                        "better": "↑ higher" if metric.get("higher_is_better") else "↓ lower",
                        "n": metric.get("n"),
                        "primary": bool(metric.get("primary")),
                        "trustllm": name.endswith("_trustllm"),
                        "description": metric.get("description") or "",
                    }
                )
            rows = chart_rows(task.get("metrics") or {})
            info = manifest_tasks.get(task_id) or {}
            n, invalid = task.get("n") or 0, task.get("invalid") or 0
            cards.append(
                {
                    "id": task_id,
                    "name": task_id.split("/", 1)[-1],
                    "description": task.get("description") or "",
                    "judge": task.get("judge") or info.get("judge") or "",
                    "version": task.get("version") or info.get("version") or "",
                    "file": task.get("file") or info.get("file") or "",
                    "sha256": (task.get("sha256") or info.get("sha256") or "")[:12],
                    "n": n,
                    "invalid": invalid,
                    "invalid_rate": _fmt(task.get("invalid_rate"), 3),
                    "invalid_share": min(max((invalid / n) if n else 0.0, 0.0), 1.0),
                    "errors": task.get("errors") or 0,
                    "score": _fmt(task.get("score")),
                    "metrics": metrics,
                    "chart": task_chart(rows, charts),
                }
            )
        sections.append(
            {
                "dimension": dimension,
                "score": _fmt(scores.get(dimension)),
                "in_overall": dimension in DIMENSIONS,
                "tasks": cards,
            }
        )
    return sections


def _items_payload(run: RunFiles) -> dict[str, Any]:
    """The items as compact rows over shared lists of tasks, labels, judges and layers."""
    lists: dict[str, list[str]] = {"tasks": [], "labels": [], "judges": [], "layers": []}
    index: dict[str, dict[str, int]] = {name: {} for name in lists}

    def ref(kind: str, value: str) -> int:
        if value not in index[kind]:
            index[kind][value] = len(lists[kind])
            lists[kind].append(value)
        return index[kind][value]

    rows = []
    for item in item_rows(run):
        if item["error"]:
            label = "(failed request)"
        elif item["label"] is None:
            label = "(none)"
        else:
            label = str(item["label"])
        judge = f"{item['judge']} v{item['judge_version']}" if item["judge"] else "(none)"
        record = item["record"] if isinstance(item["record"], dict) else {}
        record = {k: v for k, v in record.items() if k != "prompt"}
        rows.append(
            [
                ref("tasks", item["task"]),
                item["item_id"],
                item["prompt"],
                str(item["response"]),
                ref("labels", label),
                1 if item["invalid"] else 0,
                ref("judges", judge),
                ref("layers", str(item["layer"]) if item["layer"] else "(none)"),
                item["correct"],
                str(item["error"]) if item["error"] else None,
                item["score"],
                json.dumps(item["verdict_fields"], ensure_ascii=False, indent=1)
                if item["verdict_fields"]
                else "",
                json.dumps(record, ensure_ascii=False, indent=1) if record else "",
                item["finish_reason"],
            ]
        )
    return {**lists, "rows": rows}


def render_report(
    run_dir: str | Path, nonce: str | None = None, charts: Mapping[str, str] | None = None
) -> str:
    """The report page of a run folder, as a string (``charts``: task charts drawn ahead, by
    :func:`chart_key`)."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    from .charts import radar_svg

    run = read_run(run_dir)
    nonce = nonce or secrets.token_hex(16)
    results, manifest = run.results, run.manifest
    scores = results.get("scores") or {}
    series = radar_series(scores, manifest, results)
    model_name = next(iter(series))
    dimension_scores = scores.get("dimensions") or {}
    radar = (charts or {}).get(chart_key(series))  # drawn ahead by the run, for these scores
    if radar is None:
        radar = radar_svg(series, list(DIMENSIONS))
    items = _items_payload(run)
    environment = Environment(
        loader=PackageLoader("trustbench.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    from .._version import __version__

    return template.render(
        csp=csp(nonce),
        nonce=nonce,
        model=model_name,
        status=manifest.get("status") or "",
        overall=_fmt(scores.get("overall")),
        dimension_scores=[
            {
                "dimension": d,
                "score": _fmt(v),
                "in_overall": d in DIMENSIONS,
            }
            for d, v in sorted(
                dimension_scores.items(),
                key=lambda kv: (
                    kv[0] not in DIMENSIONS,
                    DIMENSIONS.index(kv[0]) if kv[0] in DIMENSIONS else 0,
                    kv[0],
                ),
            )
        ],
        radar=Markup(radar),  # sanitised by charts.sanitize_svg
        manifest_rows=manifest_rows(manifest),
        sections=[
            {**s, "tasks": [{**t, "chart": Markup(t["chart"])} for t in s["tasks"]]}
            for s in _task_sections(run, charts)
        ],
        skipped=redact(manifest.get("skipped_tasks") or {}),
        item_count=len(items["rows"]),
        invalid_count=sum(row[5] for row in items["rows"]),
        failed_count=sum(1 for row in items["rows"] if row[9]),
        items_json=Markup(json_island(items)),
        generator=f"trustbench {__version__}",
    )


def write_report(
    run_dir: str | Path, out: str | Path | None = None, charts: Mapping[str, str] | None = None
) -> Path:
    """Write the report of a run folder (default ``RUN_DIR/report.html``); return its path."""
    page = render_report(run_dir, charts=charts)
    path = Path(out) if out else Path(run_dir) / REPORT_FILE
    write_text(path, page)
    return path
