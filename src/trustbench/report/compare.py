"""Several runs side by side, optionally beside a published leaderboard.

A comparison is a table of models × (task, metric) columns with a rank per column, per task, per
dimension and overall, the best value of each column marked, a radar of the six dimensions and a
trade-off chart of refusals on harmful prompts against refusals on safe ones.

Two modes:

- **runs only**: the columns are the primary metrics of every task any run has (the union; a run
  without a task gets blanks). Task, dimension and overall scores are each run's own trust scores
  (``results.json``), so ranks per task and per dimension are ranks of those scores.
- **with a reference** (``trustllm``): the columns are the published leaderboard's, each filled
  for a run from the trustbench metric that computes the published formula (a ``_trustllm``
  metric, or the task's own metric where the reference's needed no correction); the published
  models are added as rows. Scores are recomputed the same way for every row: each column put on
  0-1 by its range and direction, task score = mean of its columns, dimension score = mean of its
  tasks, overall = mean of the dimensions.

Ranks are competition ranks (1, 2, 2, 4): equal values share the better rank; a missing value
has no rank and shows as "—".
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..data.schemas import DIMENSIONS
from ..errors import DataError, UsageError
from .leaderboard import Leaderboard, load_reference

FORMATS = ("html", "md", "csv")
DASH = "—"
NOTE_JUDGES = (
    "Judges differ: the published numbers come from the paper's judges (a Longformer classifier "
    "for refusals, GPT-4 for open answers, ada-002 embeddings, the Perspective API for toxicity); "
    "trustbench's come from its offline judges. Differences of a few points are not meaningful."
)

# What the trade-off chart plots: refusal on safe prompts (x) against refusal on harmful ones (y).
SAFE_REFUSAL = "safety/exaggerated_safety"
HARMFUL_REFUSAL = ("safety/jailbreak", "safety/misuse")


@dataclass(frozen=True)
class Column:
    """One compared number: a task's metric (runs only) or a published column (reference)."""

    key: str
    dimension: str
    task: str
    metric: str | None
    label: str
    higher_is_better: bool
    range: tuple[float, float] = (0.0, 1.0)
    note: str = ""
    mapped: bool = True
    source: str = ""  # which trustbench number fills the column (reference mode)

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"


@dataclass
class Row:
    """One model: a run or a published leaderboard entry."""

    name: str
    kind: str  # "run" or "published"
    source: str  # the run folder, or where the published numbers come from
    values: dict[str, float | None]
    task_scores: dict[str, float | None] = field(default_factory=dict)
    dimension_scores: dict[str, float | None] = field(default_factory=dict)
    overall: float | None = None
    model: str = ""  # the run's model spec


@dataclass(frozen=True)
class TradeoffPoint:
    name: str
    kind: str
    safe_refusal: float  # x: refusal rate on safe prompts (exaggerated safety)
    harmful_refusal: float  # y: mean RtA on jailbreak and misuse


@dataclass
class Comparison:
    rows: list[Row]
    columns: list[Column]
    reference: Leaderboard | None
    ranks: dict[str, dict[str, int | None]]  # column key -> row name -> rank
    task_ranks: dict[str, dict[str, int | None]]
    dimension_ranks: dict[str, dict[str, int | None]]
    overall_ranks: dict[str, int | None]
    notes: list[str]
    tradeoff: list[TradeoffPoint]
    created: str

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(c.task for c in self.columns))

    @property
    def dimensions(self) -> list[str]:
        present = {c.dimension for c in self.columns}
        return [d for d in _dimension_order(present) if d in present]

    def columns_of(self, dimension: str) -> list[Column]:
        return [c for c in self.columns if c.dimension == dimension]

    def is_best(self, column: Column, row: Row) -> bool:
        """Rank 1 in a column where some other model ranks lower (not all equal, not alone)."""
        return self.is_best_score(self.ranks[column.key], row)

    @staticmethod
    def is_best_score(ranks: dict[str, int | None], row: Row) -> bool:
        return ranks.get(row.name) == 1 and any(r is not None and r > 1 for r in ranks.values())

    def ordered_rows(self) -> list[Row]:
        """Rows by overall rank (unranked last), input order among equals."""
        position = {row.name: i for i, row in enumerate(self.rows)}
        return sorted(
            self.rows,
            key=lambda r: (self.overall_ranks.get(r.name) or math.inf, position[r.name]),
        )


# Loading runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedRun:
    name: str
    run_dir: Path
    results: dict[str, Any]
    manifest: dict[str, Any]


def read_run(run_dir: str | Path) -> LoadedRun:
    """A run folder's results and manifest (credentials redacted), read by the report's reader;
    a one-line error when it is not a finished run or holds no task."""
    from .rundata import read_run as read_files
    from .rundata import redact

    files = read_files(run_dir)
    if not files.results["tasks"]:
        raise DataError(str(files.run_dir / "results.json"), "holds no task results")
    manifest = redact(files.manifest)
    model = manifest.get("model") or files.results.get("run", {}).get("model") or {}
    return LoadedRun(_model_name(model, files.run_dir), files.run_dir, files.results, manifest)


def _model_name(model: dict[str, Any], run_dir: Path) -> str:
    """A short name for a run's model: the served model's name, or the GGUF file's stem."""
    spec = str(model.get("spec") or model.get("id") or "")
    kind, _, rest = spec.partition(":")
    if kind == "openai" and rest:
        return rest
    if kind == "llamacpp":
        if model.get("path"):
            return Path(str(model["path"])).stem
        parts = str(model.get("id", "")).split(":")
        if len(parts) >= 2 and parts[1]:
            return Path(parts[1]).stem
    return spec or run_dir.name


def _disambiguate(runs: Sequence[LoadedRun]) -> list[str]:
    """Unique row names: a name shared by several runs gets its run folder's name appended."""
    names = [run.name for run in runs]
    counts = {n: names.count(n) for n in names}
    unique = [
        f"{run.name} ({run.run_dir.name})" if counts[run.name] > 1 else run.name for run in runs
    ]
    seen: dict[str, int] = {}
    result = []
    for name in unique:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return result


# Building -------------------------------------------------------------------------------------


def _dimension_order(present: set[str]) -> list[str]:
    return [*DIMENSIONS, *sorted(present - set(DIMENSIONS))]


def rank(values: dict[str, float | None], higher_is_better: bool) -> dict[str, int | None]:
    """Competition ranks (1, 2, 2, 4); equal values share a rank; None has no rank."""
    present = {k: round(v, 9) for k, v in values.items() if _is_number(v)}
    ordered = sorted(present.values(), reverse=higher_is_better)
    first = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {k: (first[present[k]] if k in present else None) for k in values}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if _is_number(v)]
    return round(sum(present) / len(present), 6) if present else None


def _normalized(value: float | None, column: Column) -> float | None:
    if not _is_number(value):
        return None
    assert value is not None
    low, high = column.range
    share = min(1.0, max(0.0, (value - low) / (high - low)))
    return share if column.higher_is_better else 1.0 - share


def _run_columns(runs: Sequence[LoadedRun]) -> list[Column]:
    """The primary metrics of every task in any run, dimension by dimension."""
    found: dict[str, Column] = {}
    for run in runs:
        for task_id, task in run.results["tasks"].items():
            dimension = task.get("dimension") or task_id.split("/", 1)[0]
            for name, metric in task.get("metrics", {}).items():
                key = f"{task_id}:{name}"
                if metric.get("primary") and key not in found:
                    found[key] = Column(
                        key=key,
                        dimension=dimension,
                        task=task_id,
                        metric=name,
                        label=name,
                        higher_is_better=bool(metric.get("higher_is_better", True)),
                        note=str(metric.get("description", "")),
                    )
    order = _dimension_order({c.dimension for c in found.values()})
    return sorted(found.values(), key=lambda c: order.index(c.dimension))


def _metric_value(run: LoadedRun, task: str, metric: str | None) -> float | None:
    if metric is None:
        return None
    value = run.results["tasks"].get(task, {}).get("metrics", {}).get(metric, {}).get("value")
    return float(value) if _is_number(value) else None


def _reference_columns(board: Leaderboard) -> list[Column]:
    columns = [
        Column(
            key=c.id,
            dimension=c.dimension,
            task=c.task,
            metric=c.metric,
            label=c.label,
            higher_is_better=c.higher_is_better,
            range=c.range,
            note=c.note,
            mapped=c.mapped,
            source=(
                "published only"
                if c.metric is None
                else f"1 − {c.metric}"
                if c.transform == "one_minus"
                else c.metric
            ),
        )
        for c in board.columns
    ]
    order = _dimension_order({c.dimension for c in columns})
    return sorted(columns, key=lambda c: order.index(c.dimension))


def _rescore(row: Row, columns: Sequence[Column]) -> None:
    """Task, dimension and overall scores from the row's column values (reference mode)."""
    by_task: dict[str, list[float | None]] = {}
    dimension_of: dict[str, str] = {}
    for column in columns:
        by_task.setdefault(column.task, []).append(_normalized(row.values[column.key], column))
        dimension_of[column.task] = column.dimension
    row.task_scores = {task: _mean(values) for task, values in by_task.items()}
    by_dimension: dict[str, list[float | None]] = {}
    for task, score in row.task_scores.items():
        by_dimension.setdefault(dimension_of[task], []).append(score)
    row.dimension_scores = {d: _mean(v) for d, v in by_dimension.items()}
    row.overall = _mean([row.dimension_scores.get(d) for d in DIMENSIONS])


def _tradeoff(rows: Sequence[Row], columns: Sequence[Column]) -> list[TradeoffPoint]:
    def key_of(task: str) -> str | None:
        return next((c.key for c in columns if c.task == task and c.mapped), None)

    safe_key = key_of(SAFE_REFUSAL)
    harmful_keys = [k for k in (key_of(t) for t in HARMFUL_REFUSAL) if k]
    points = []
    for row in rows:
        x = row.values.get(safe_key) if safe_key else None
        y = _mean([row.values.get(k) for k in harmful_keys])
        if _is_number(x) and y is not None:
            assert x is not None
            points.append(TradeoffPoint(row.name, row.kind, x, y))
    return points


def build_comparison(
    run_dirs: Sequence[str | Path] | Sequence[LoadedRun], reference: str | None = None
) -> Comparison:
    """Load the runs (folders or already loaded) and set them side by side."""
    if not run_dirs:
        raise UsageError("compare needs at least one run folder")
    runs = [r if isinstance(r, LoadedRun) else read_run(r) for r in run_dirs]
    board = load_reference(reference) if reference else None
    names = _disambiguate(runs)
    notes: list[str] = []

    if board is None:
        columns = _run_columns(runs)
        rows = []
        for run, name in zip(runs, names, strict=True):
            scores = run.results.get("scores") or {}
            rows.append(
                Row(
                    name=name,
                    kind="run",
                    source=str(run.run_dir),
                    values={c.key: _metric_value(run, c.task, c.metric) for c in columns},
                    task_scores=dict(scores.get("tasks", {})),
                    dimension_scores=dict(scores.get("dimensions", {})),
                    overall=scores.get("overall"),
                    model=str((run.manifest.get("model") or {}).get("spec", "")),
                )
            )
        all_tasks = set(dict.fromkeys(c.task for c in columns))
        for run, name in zip(runs, names, strict=True):
            missing = sorted(all_tasks - set(run.results["tasks"]))
            if missing:
                notes.append(
                    f"{name} has no results for {len(missing)} task(s): {', '.join(missing)}. "
                    "Its dimension and overall scores cover its own tasks only."
                )
    else:
        columns = _reference_columns(board)
        rows = []
        for run, name in zip(runs, names, strict=True):
            values = {}
            for column in board.columns:
                value = _metric_value(run, column.task, column.metric) if column.mapped else None
                values[column.id] = column.run_value(value)
            row = Row(
                name=name,
                kind="run",
                source=str(run.run_dir),
                values=values,
                model=str((run.manifest.get("model") or {}).get("spec", "")),
            )
            rows.append(row)
        taken = {row.name for row in rows}
        for model in board.models:
            name = model.name if model.name not in taken else f"{model.name} (published)"
            source = (
                board.source["paper"] if model.added_in == "paper" else board.source["additions"]
            )
            rows.append(Row(name=name, kind="published", source=source, values=dict(model.values)))
        for row in rows:
            _rescore(row, columns)
        notes.append(NOTE_JUDGES)
        unmapped = [c.label for c in board.columns if not c.mapped]
        if unmapped:
            notes.append(
                "Published only (no trustbench counterpart, runs show —): " + ", ".join(unmapped)
            )
        notes.append(
            "Runs are compared on the published formulas (the _trustllm metrics, or the task's "
            "own metric where the reference's needed no correction), not on trustbench's "
            "corrected primary metrics; scores here are on those formulas, not trust scores."
        )

    ranks = {c.key: rank({r.name: r.values.get(c.key) for r in rows}, c.higher_is_better)
             for c in columns}  # fmt: skip
    tasks = list(dict.fromkeys(c.task for c in columns))
    task_ranks = {t: rank({r.name: r.task_scores.get(t) for r in rows}, True) for t in tasks}
    dimensions = [d for d in _dimension_order({c.dimension for c in columns})]
    dimension_ranks = {
        d: rank({r.name: r.dimension_scores.get(d) for r in rows}, True) for d in dimensions
    }
    overall_ranks = rank({r.name: r.overall for r in rows}, True)
    tradeoff = _tradeoff(rows, columns)
    left_out = [r.name for r in rows if r.name not in {p.name for p in tradeoff}]
    if left_out:
        notes.append(
            "Not in the trade-off chart (no exaggerated-safety, jailbreak or misuse value): "
            + ", ".join(left_out)
        )
    return Comparison(
        rows=rows,
        columns=columns,
        reference=board,
        ranks=ranks,
        task_ranks=task_ranks,
        dimension_ranks=dimension_ranks,
        overall_ranks=overall_ranks,
        notes=notes,
        tradeoff=tradeoff,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


# Rendering ------------------------------------------------------------------------------------


def fmt(value: float | None, column: Column | None = None) -> str:
    if not _is_number(value):
        return DASH
    assert value is not None
    if column is not None and column.range[1] > 1.0:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_rank(value: int | None) -> str:
    return "" if value is None else f"#{value}"


def _value_and_rank(value: float | None, rank_: int | None, column: Column | None = None) -> str:
    return f"{fmt(value, column)} {fmt_rank(rank_)}".strip()


def _md_escape(text: str) -> str:
    out = text.replace("\\", "\\\\").replace("|", "\\|")
    for char in "*_`[]#":
        out = out.replace(char, "\\" + char)
    return out.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _md_cell(text: str, best: bool) -> str:
    return f"**{text}**" if best else text


def to_markdown(comparison: Comparison) -> str:
    c = comparison
    rows = c.ordered_rows()
    lines = ["# trustbench comparison", ""]
    for row in c.rows:
        if row.kind == "run":
            lines.append(f"- run **{_md_escape(row.name)}**: `{_md_escape(row.source)}`")
    if c.reference is not None:
        lines.append(
            f"- {sum(r.kind == 'published' for r in c.rows)} published models from the "
            f"{_md_escape(c.reference.title)} (marked *published*); source: "
            f"{_md_escape(c.reference.source['paper'])}; "
            f"{_md_escape(c.reference.source['additions'])}"
        )
    lines.append("")
    for note in c.notes:
        lines += [f"> **Note.** {_md_escape(note)}", ""]
    lines += [
        "Best value of each column in **bold**; `#n` is the rank (equal values share a rank; "
        f"{DASH} = no value).",
        "",
        "## Summary: scores per dimension (0-1, higher is better) and rank",
        "",
    ]
    header = ["model", "kind", *c.dimensions, "overall"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [_md_escape(row.name), row.kind]
        for dimension in c.dimensions:
            ranks = c.dimension_ranks[dimension]
            text = _value_and_rank(row.dimension_scores.get(dimension), ranks.get(row.name))
            cells.append(_md_cell(text, c.is_best_score(ranks, row)))
        text = _value_and_rank(row.overall, c.overall_ranks.get(row.name))
        cells.append(_md_cell(text, c.is_best_score(c.overall_ranks, row)))
        lines.append("| " + " | ".join(cells) + " |")
    for dimension in c.dimensions:
        columns = c.columns_of(dimension)
        lines += ["", f"## {dimension}", ""]
        slots = _slots(columns)
        header = ["model", "kind"]
        for column, task in slots:
            if column is None:
                header.append(_md_escape(f"{task.split('/', 1)[1]}: task score ↑"))
                continue
            label = column.label if c.reference else f"{task.split('/', 1)[1]}: {column.label}"
            header.append(_md_escape(f"{label} {column.arrow}"))
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in rows:
            cells = [_md_escape(row.name), row.kind]
            for column, task in slots:
                if column is None:
                    ranks = c.task_ranks[task]
                    text = _value_and_rank(row.task_scores.get(task), ranks.get(row.name))
                    cells.append(_md_cell(text, c.is_best_score(ranks, row)))
                    continue
                value = row.values.get(column.key)
                text = _value_and_rank(value, c.ranks[column.key].get(row.name), column)
                cells.append(_md_cell(text, c.is_best(column, row)))
            lines.append("| " + " | ".join(cells) + " |")
        if c.reference is not None:
            lines.append("")
            for column in columns:
                note = f": {_md_escape(column.note)}" if column.note else ""
                origin = (
                    f"runs from `{column.task}` `{column.source}`"
                    if column.mapped
                    else "published only"
                )
                lines.append(f"- {_md_escape(column.label)} {column.arrow}, {origin}{note}")
    lines += ["", "## Trade-off: refusal on safe prompts against refusal on harmful prompts", ""]
    lines += [
        "| model | kind | refusal on safe prompts (exaggerated safety) | refusal on harmful "
        "prompts (mean of jailbreak and misuse RtA) |",
        "|---|---|---|---|",
    ]
    for point in c.tradeoff:
        lines.append(
            f"| {_md_escape(point.name)} | {point.kind} | {point.safe_refusal:.3f} | "
            f"{point.harmful_refusal:.3f} |"
        )
    return "\n".join(lines) + "\n"


def _slots(columns: Sequence[Column]) -> list[tuple[Column | None, str]]:
    """The table's columns in order: each task's own columns, then, for a task with several,
    its task score (``None`` in place of a column)."""
    slots: list[tuple[Column | None, str]] = []
    for task in dict.fromkeys(column.task for column in columns):
        own = [column for column in columns if column.task == task]
        slots += [(column, task) for column in own]
        if len(own) > 1:
            slots.append((None, task))
    return slots


def _csv_text(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(comparison: Comparison) -> str:
    """One row per model and number: metric columns, task scores, dimension scores, overall."""
    c = comparison
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["model", "kind", "source", "level", "dimension", "task", "metric", "column",
         "higher_is_better", "value", "rank", "best"]
    )  # fmt: skip

    def number(value: float | None) -> str:
        return "" if not _is_number(value) else repr(float(value))  # type: ignore[arg-type]

    for row in c.rows:
        base = [_csv_text(row.name), row.kind, _csv_text(row.source)]
        for column in c.columns:
            writer.writerow(
                base
                + ["metric", column.dimension, column.task, column.metric or "", column.label]
                + [column.higher_is_better, number(row.values.get(column.key))]
                + [c.ranks[column.key].get(row.name) or "", c.is_best(column, row)]
            )
        for task in c.tasks:
            ranks = c.task_ranks[task]
            writer.writerow(
                base + ["task", task.split("/", 1)[0], task, "", "task score", True]
                + [number(row.task_scores.get(task)), ranks.get(row.name) or ""]
                + [c.is_best_score(ranks, row)]
            )  # fmt: skip
        for dimension in c.dimensions:
            ranks = c.dimension_ranks[dimension]
            writer.writerow(
                base + ["dimension", dimension, "", "", "dimension score", True]
                + [number(row.dimension_scores.get(dimension)), ranks.get(row.name) or ""]
                + [c.is_best_score(ranks, row)]
            )  # fmt: skip
        writer.writerow(
            base + ["overall", "", "", "", "overall score", True, number(row.overall)]
            + [c.overall_ranks.get(row.name) or "", c.is_best_score(c.overall_ranks, row)]
        )  # fmt: skip
    return buffer.getvalue()


def terminal_table(comparison: Comparison):  # -> rich.table.Table
    """Models × dimensions: score and rank, best in bold."""
    from rich.markup import escape
    from rich.table import Table

    c = comparison
    title = "trustbench comparison"
    if c.reference is not None:
        title += f" with the {c.reference.title} (scores on the published formulas)"
    table = Table(title=title, header_style="bold")
    table.add_column("model")
    table.add_column("kind")
    for dimension in [*c.dimensions, "overall"]:
        table.add_column(dimension, justify="right")
    for row in c.ordered_rows():
        cells = [escape(row.name), row.kind]
        for dimension in c.dimensions:
            ranks = c.dimension_ranks[dimension]
            text = _value_and_rank(row.dimension_scores.get(dimension), ranks.get(row.name))
            cells.append(f"[bold]{text}[/bold]" if c.is_best_score(ranks, row) else text)
        text = _value_and_rank(row.overall, c.overall_ranks.get(row.name))
        best = c.is_best_score(c.overall_ranks, row)
        cells.append(f"[bold]{text}[/bold]" if best else text)
        table.add_row(*cells)
    return table


def print_comparison(comparison: Comparison, console: Any = None) -> None:
    from rich.markup import escape

    from ..console import make_console

    console = console or make_console()
    console.print(terminal_table(comparison))
    for note in comparison.notes:
        console.print(f"Note: {escape(note)}")


def _cell(text: str, rank_: int | None, best: bool, title: str = "") -> dict[str, Any]:
    classes = ["best"] if best else []
    if text == DASH:
        classes.append("none")
    return {"text": text, "rank": fmt_rank(rank_), "cls": " ".join(classes), "title": title}


def _radar(comparison: Comparison) -> tuple[str, str]:
    """The overlay radar of the six dimensions: every run, and with a reference the published
    model ranked first overall, for scale."""
    from .charts import radar_svg

    c = comparison
    chosen = [r for r in c.rows if r.kind == "run"]
    caption = "Score per dimension (0-1, higher is better), one polygon per run"
    if c.reference is not None:
        published = [r for r in c.ordered_rows() if r.kind == "published"]
        if published:
            chosen.append(published[0])
            caption += (
                f", with {published[0].name}, the published model ranked first overall, for "
                "scale. Scores are on the published formulas"
            )
    caption += ". A dimension without a score leaves a gap in its polygon."
    axes = [d for d in DIMENSIONS if d in c.dimensions]
    series = {
        (r.name if r.kind == "run" else f"{r.name} (published)"): {
            d: float(r.dimension_scores[d]) for d in axes if _is_number(r.dimension_scores.get(d))
        }
        for r in chosen
    }
    return radar_svg(series, axes, title="Trust by dimension"), caption


def _tradeoff_chart(comparison: Comparison) -> str:
    from .charts import tradeoff_svg

    points = [
        {
            "label": p.name,
            "x": p.safe_refusal,
            "y": p.harmful_refusal,
            "published": p.kind == "published",
        }
        for p in comparison.tradeoff
    ]
    return tradeoff_svg(points)


def _html_context(comparison: Comparison) -> dict[str, Any]:
    from .._version import __version__

    c = comparison
    rows = c.ordered_rows()
    summary = []
    for row in rows:
        cells = []
        for dimension in c.dimensions:
            ranks = c.dimension_ranks[dimension]
            cells.append(
                _cell(
                    fmt(row.dimension_scores.get(dimension)),
                    ranks.get(row.name),
                    c.is_best_score(ranks, row),
                )
            )
        cells.append(
            _cell(
                fmt(row.overall),
                c.overall_ranks.get(row.name),
                c.is_best_score(c.overall_ranks, row),
            )
        )
        summary.append({"name": row.name, "kind": row.kind, "cells": cells})
    sections = []
    for dimension in c.dimensions:
        columns = c.columns_of(dimension)
        headers = []
        body: list[dict[str, Any]] = [
            {"name": row.name, "kind": row.kind, "cells": []} for row in rows
        ]
        for column, task in _slots(columns):
            if column is None:
                headers.append(
                    {
                        "task": task.split("/", 1)[1],
                        "metric": "task score",
                        "arrow": "↑",
                        "note": "",
                    }
                )
                ranks = c.task_ranks[task]
                for row, line in zip(rows, body, strict=True):
                    line["cells"].append(
                        _cell(
                            fmt(row.task_scores.get(task)),
                            ranks.get(row.name),
                            c.is_best_score(ranks, row),
                        )
                    )
                continue
            headers.append(
                {
                    "task": column.label if c.reference else task.split("/", 1)[1],
                    "metric": column.source if c.reference else column.metric,
                    "arrow": column.arrow,
                    "note": column.note,
                }
            )
            for row, line in zip(rows, body, strict=True):
                line["cells"].append(
                    _cell(
                        fmt(row.values.get(column.key), column),
                        c.ranks[column.key].get(row.name),
                        c.is_best(column, row),
                    )
                )
        notes = [
            {"label": col.label, "text": col.note} for col in columns if c.reference and col.note
        ]
        sections.append({"dimension": dimension, "headers": headers, "rows": body, "notes": notes})
    radar, radar_caption = _radar(c)
    from markupsafe import Markup

    if c.reference is not None:
        explanation = (
            "Scores: each column put on 0-1 by its range and direction; task = mean of its "
            "columns, dimension = mean of its tasks, overall = mean of the six dimensions."
        )
    else:
        explanation = (
            "Scores are each run's trust scores (0-1, higher is better), as in its report."
        )
    runs = [row for row in c.rows if row.kind == "run"]
    return {
        "title": "trustbench comparison"
        + (f" with the {c.reference.title}" if c.reference is not None else ""),
        "version": __version__,
        "created": c.created,
        "runs": [{"name": r.name, "model": r.model, "source": r.source} for r in runs],
        "rows": c.rows,
        "show_kind": len(runs) < len(c.rows),
        "run_count": len(runs),
        "published_count": len(c.rows) - len(runs),
        "reference": c.reference,
        "notes": c.notes,
        "score_explanation": explanation,
        "dimensions": c.dimensions,
        "summary": summary,
        "sections": sections,
        # SVG made by matplotlib, which escapes every text it draws
        "radar": Markup(radar),
        "radar_caption": radar_caption,
        "tradeoff": Markup(_tradeoff_chart(c)),
        "tradeoff_points": c.tradeoff,
        "columns_count": len(c.columns),
    }


def to_html(comparison: Comparison) -> str:
    """A self-contained page: no script, nothing loaded, every text escaped."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("trustbench", "report/data"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )
    return env.get_template("compare.html.j2").render(**_html_context(comparison))


def write_comparison(comparison: Comparison, fmt_name: str, out: str | Path | None) -> Path | None:
    """Write the comparison in ``fmt_name``; html goes to ``out`` or ./compare.html, md and csv
    to ``out`` or (returning None) to stdout."""
    import sys

    from .files import _atomic_write

    if fmt_name not in FORMATS:
        raise UsageError(f"unknown format {fmt_name!r}; use one of: {', '.join(FORMATS)}")
    text = {"html": to_html, "md": to_markdown, "csv": to_csv}[fmt_name](comparison)
    if out is None and fmt_name != "html":
        sys.stdout.write(text)
        return None
    path = Path(out) if out is not None else Path.cwd() / "compare.html"
    if path.is_dir():
        raise UsageError(f"--out {path}: is a folder; give a file name")
    _atomic_write(path, [text])
    return path


def check_format(fmt_name: str) -> None:
    if fmt_name not in FORMATS:
        raise UsageError(f"unknown format {fmt_name!r}; use one of: {', '.join(FORMATS)}")
