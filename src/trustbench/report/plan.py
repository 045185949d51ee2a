"""The ``--dry-run`` table: requests, tokens, cost and time per task, before anything is spent."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..console import make_console


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def plan_table(plan: dict[str, Any]) -> Table:
    table = Table(title="trustbench run --dry-run (no model called)", header_style="bold")
    for column in ("task", "items", "stored", "to send", "prompt tok", "completion tok (est.)"):
        table.add_column(column, justify="left" if column == "task" else "right")
    table.add_column("cost (USD)", justify="right")
    table.add_column("time", justify="right")
    rows = [(escape(task_id), row) for task_id, row in plan["tasks"].items()]
    for index, (name, row) in enumerate([*rows, ("[bold]total[/bold]", plan["total"])]):
        if index == len(rows):
            table.add_section()
        table.add_row(
            name,
            f"{row['items']:,}",
            f"{row['stored']:,}",
            f"{row['requests']:,}",
            f"{row['prompt_tokens']:,}",
            f"{row['completion_tokens']:,}",
            _usd(row["cost_usd"]),
            _duration(row["seconds"]),
        )
    return table


def print_plan(plan: dict[str, Any], console: Console | None = None) -> None:
    console = console or make_console()
    console.print(plan_table(plan))
    total = plan["total"]
    console.print(f"model: {escape(plan['model']['spec'])}   data: {escape(plan['data_source'])}")
    if total.get("shared"):
        console.print(
            f"{total['shared']:,} items share their prompt with an earlier task's: "
            "one request answers both"
        )
    console.print(f"prompt tokens: {escape(plan['prompt_tokens_method'])}")
    bases = sorted({row["completion_basis"] for row in plan["tasks"].values()})
    console.print(
        f"completion tokens: {escape('; '.join(bases))}; at most {total['completion_tokens_max']:,}"
        " (max_tokens per request)"
    )
    prices = plan["prices_usd_per_million"]
    if prices:
        console.print(
            f"cost: ${prices['in'] or 0:g} / ${prices['out'] or 0:g} per million prompt / "
            f"completion tokens; at most {_usd(total['cost_usd_max'])}"
        )
    else:
        console.print("cost: give --price-in and --price-out (USD per million tokens)")
    rate = plan["throughput"]
    if rate:
        console.print(f"time: at {escape(rate['basis'])}")
    else:
        console.print(
            "time: give --throughput (tokens/s or N req/s); none measured in the store yet"
        )
    console.print(f"stored responses ({total['stored']:,} items) cost nothing and take no time.")
