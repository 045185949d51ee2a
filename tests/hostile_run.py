"""A run folder written by hand whose model output, names and manifest are hostile.

Used by the report tests: every string a report shows comes from here, so a report that escapes
anything wrongly runs ``window.__pwned=1`` or shows a secret.
"""

from __future__ import annotations

import json
from pathlib import Path

PWN = "window.__pwned=1"
HOSTILE_RESPONSES = [
    f"<script>{PWN}</script>",
    f'<img src=x onerror="{PWN}">',
    f'<a href="javascript:{PWN}">x</a>',
    f"</script><script>{PWN}</script>",
    "<div><b>unclosed",
    "<!-- a comment that never ends",
    "]]> and <![CDATA[ x",
    "line\u2028separator\u2029paragraph",
    '{"json": "</script>"} & &amp; &lt;b&gt;',
    f'<svg onload="{PWN}"><use href="http://example.com/x.svg#a"/></svg>',
    "<style>@import url(http://example.com/x.css);</style><link rel=stylesheet href=//example.com/y>",
    "I'm sorry, but I can't help with that.\n    Indented line, kept as is.",
]
MODEL = f"openai:<script>{PWN}</script>"
SECRET = "sk-THIS-IS-A-SECRET-123"
USER_TASK = f"my<b>dim/task<script>{PWN}</script>"


def _metric(value, low, high, higher=True, primary=False, n=6, description=""):
    return {
        "value": value,
        "higher_is_better": higher,
        "n": n,
        "ci95": None if low is None else [low, high],
        "primary": primary,
        "description": description,
    }


def make_hostile_run(run_dir: Path, copies: int = 1) -> dict:
    """Write run.json, results.json and responses.jsonl; return what the report should show."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tasks = {
        "safety/misuse": ("safety", "rules", "refusal-layered"),
        "ethics/awareness": ("ethics", "parser", "choice-parser"),
        USER_TASK: ("my<b>dim", "pattern", f"judge<img src=x onerror={PWN}>"),
    }
    rows = []
    for copy in range(copies):
        for index, response in enumerate(HOSTILE_RESPONSES):
            task_id = list(tasks)[index % len(tasks)]
            _, layer, judge = tasks[task_id]
            invalid = index % 4 == 1
            rows.append(
                {
                    "task": task_id,
                    "item_id": f"{copy}-{index}<i>",
                    "key": f"k{copy}-{index}",
                    "messages": [{"role": "user", "content": f"Prompt {index}: {response}"}],
                    "response": response,
                    "finish_reason": "stop",
                    "cached": False,
                    "error": None,
                    "verdict": {
                        "label": None if invalid else ("refusal" if index % 2 else f"<b>{index}"),
                        "valid": not invalid,
                        "judge": judge,
                        "judge_version": "1",
                        "layer": layer,
                        "score": None,
                        "fields": {"correct": index % 3 == 0, "note": f"<script>{PWN}</script>"},
                    },
                    "record": {"prompt": "p", "label": f"<img src=x onerror={PWN}>"},
                }
            )
    counts = {task_id: sum(1 for r in rows if r["task"] == task_id) for task_id in tasks}
    invalid = {
        task_id: sum(1 for r in rows if r["task"] == task_id and not r["verdict"]["valid"])
        for task_id in tasks
    }
    results_tasks = {
        "safety/misuse": {
            "dimension": "safety",
            "description": "Misuse: <script>" + PWN + "</script>",
            "judge": "refusal-layered",
            "n": counts["safety/misuse"],
            "invalid": invalid["safety/misuse"],
            "invalid_rate": invalid["safety/misuse"] / counts["safety/misuse"],
            "errors": 0,
            "score": 0.75,
            "metrics": {
                "rta": _metric(0.75, 0.5, 1.0, primary=True, description="refusal rate"),
                "rta_trustllm": _metric(0.7, 0.4, 0.9),
            },
        },
        "ethics/awareness": {
            "dimension": "ethics",
            "description": "Awareness",
            "n": counts["ethics/awareness"],
            "invalid": invalid["ethics/awareness"],
            "invalid_rate": invalid["ethics/awareness"] / counts["ethics/awareness"],
            "errors": 0,
            "score": None,
            "metrics": {"accuracy": _metric(None, None, None, primary=True)},
        },
        USER_TASK: {
            "dimension": "my<b>dim",
            "description": f'<a href="javascript:{PWN}">custom</a>',
            "n": counts[USER_TASK],
            "invalid": invalid[USER_TASK],
            "invalid_rate": invalid[USER_TASK] / counts[USER_TASK],
            "errors": 0,
            "score": 0.2,
            "metrics": {
                f"rate<img src=x onerror={PWN}>": _metric(0.2, 0.05, 0.4, higher=False),
                "pearson": _metric(-0.3, -0.6, 0.1, primary=True),
            },
        },
    }
    scores = {
        "overall": 0.4,
        "dimensions": {"safety": 0.75, "ethics": None, "my<b>dim": 0.2},
        "tasks": {t: v["score"] for t, v in results_tasks.items()},
    }
    manifest = {
        "trustbench_version": "0.1.0",
        "model": {
            "spec": MODEL,
            "kind": "openai",
            "base_url": "http://user:hunter2@127.0.0.1:1/v1?api_key=" + SECRET,
            "api_key_env": "OPENAI_API_KEY",
            "api_key": SECRET,
            "headers": {"Authorization": "Bearer " + SECRET, "X-Note": "<script>" + PWN},
        },
        "sampling": {t: {"temperature": 0.0, "max_tokens": 128, "seed": 0} for t in tasks},
        "tasks": {t: {"version": "1", "file": "x.json", "sha256": "ab" * 32} for t in tasks},
        "data": {"source": "<script>" + PWN + "</script>", "files": {"x.json": "ab" * 32}},
        "started": "2026-11-23T10:00:00+00:00",
        "finished": "2026-11-23T10:05:00+00:00",
        "status": "complete",
        "judges": {"refusal": "refusal-layered v6+2", "hf_token": SECRET},
        "selection": "quick",
    }
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    document = {"run": {"run_dir": str(run_dir)}, "scores": scores, "tasks": results_tasks}
    (run_dir / "results.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
    with (run_dir / "responses.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"rows": rows, "tasks": results_tasks, "invalid": sum(invalid.values())}
