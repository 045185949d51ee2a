"""The end-of-run table: every metric, grouped by dimension, with its direction."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..console import make_console
from ..data.schemas import DIMENSIONS


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def results_table(results: dict[str, Any]) -> Table:
    table = Table(title="trustbench results", show_lines=False, header_style="bold")
    for column, justify in (
        ("dimension", "left"),
        ("task", "left"),
        ("metric", "left"),
        ("value", "right"),
        ("95% CI", "right"),
        ("better", "center"),
        ("n", "right"),
        ("invalid", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    tasks = results["tasks"]
    for dimension in _dimensions(tasks):
        ids = [t for t in tasks if tasks[t]["dimension"] == dimension]
        for row, task_id in enumerate(ids):
            task = tasks[task_id]
            invalid = f"{task['invalid']}/{task['n']}"
            if task.get("errors"):
                invalid += f" ({task['errors']} failed)"
            for position, (name, metric) in enumerate(task["metrics"].items()):
                ci = metric.get("ci95")
                table.add_row(
                    dimension if row == 0 and position == 0 else "",
                    escape(task_id.split("/", 1)[1]) if position == 0 else "",
                    escape(name),
                    _fmt(metric["value"]),
                    f"{ci[0]:.2f}–{ci[1]:.2f}" if ci else "",
                    "↑ higher" if metric["higher_is_better"] else "↓ lower",
                    str(metric["n"]),
                    invalid if position == 0 else "",
                )
        if ids:
            table.add_section()
    return table


def _dimensions(tasks: dict[str, Any]) -> list[str]:
    """The six TrustLLM dimensions in order, then those of user-defined tasks."""
    extra = sorted({task["dimension"] for task in tasks.values()} - set(DIMENSIONS))
    return [*DIMENSIONS, *extra]


def scores_table(results: dict[str, Any]) -> Table:
    scores = results.get("scores", {})
    table = Table(title="trust scores (0-1, higher is better)", header_style="bold")
    table.add_column("dimension")
    table.add_column("score", justify="right")
    table.add_column("tasks scored", justify="right")
    tasks = scores.get("tasks", {})
    for dimension in _dimensions({t: {"dimension": t.split("/", 1)[0]} for t in tasks}):
        if dimension in scores.get("dimensions", {}):
            scored = sum(
                1 for t, v in tasks.items() if t.startswith(dimension + "/") and v is not None
            )
            table.add_row(dimension, _fmt(scores["dimensions"][dimension]), str(scored))
    table.add_section()
    table.add_row(
        "[bold]overall[/bold] (TrustLLM dimensions)",
        f"[bold]{_fmt(scores.get('overall'))}[/bold]",
        "",
    )
    return table


def errors_table(results: dict[str, Any]) -> Table | None:
    """The items that got no response, by task and message; None when there are none."""
    rows = [
        (task_id, count, message)
        for task_id, task in results["tasks"].items()
        for message, count in (task.get("error_messages") or {}).items()
    ]
    if not rows:
        return None
    table = Table(title="items with no response", header_style="bold")
    table.add_column("task")
    table.add_column("items", justify="right")
    table.add_column("error")
    for task_id, count, message in rows:
        table.add_row(escape(task_id), str(count), escape(message[:160]))
    return table


def print_summary(results: dict[str, Any], console: Console | None = None) -> None:
    console = console or make_console()
    console.print(results_table(results))
    errors = errors_table(results)
    if errors is not None:
        console.print(errors)
    if results.get("scores"):
        console.print(scores_table(results))
    run = results.get("run", {})
    if run.get("run_dir"):
        console.print(f"Run folder: {escape(str(run['run_dir']))}")
