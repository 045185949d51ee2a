"""Tasks that users define in a YAML file, without code (``trustbench run --task-file FILE``).

A task file names its data (JSONL, CSV or a JSON list, relative to the task file), a prompt
template, a judge and a metric; ``examples/README.md`` documents every key. Loading checks the
file and every record before any model is called, and each error names the file, the key (or
the record and field) and what was expected. The task's id is ``<dimension>/<id>``, its
dimension ``custom`` unless the file names one of the six.

A run stores each task file's text in ``run.json``, so ``trustbench score`` rebuilds the task
without the file or its data (the records are in ``responses.jsonl``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..data.schemas import DIMENSIONS
from ..data.source import LoadedFile
from ..types import Message
from .task import Task
from .user_judges import UserJudge, build_judge
from .user_metrics import build_metrics
from .user_spec import Section, TaskFileError, Template, describe

CUSTOM = "custom"
TASK_FILE_DIMENSIONS = (*DIMENSIONS, CUSTOM)
_KEYS = (
    "id",
    "dimension",
    "description",
    "version",
    "data",
    "prompt",
    "messages",
    "sampling",
    "judge",
    "metric",
)
_ROLES = ("system", "user", "assistant")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
DATA_FORMATS = (".jsonl", ".csv", ".json")


@dataclass(frozen=True)
class UserTask(Task):
    """A :class:`Task` from a task file, with what a run needs beyond the task itself."""

    source: str = ""  # the task file, as the user named it
    definition: str = field(default="", repr=False)  # its text, stored in run.json
    max_tokens: int = 512  # a run's --max-tokens, when given, replaces it
    needs_llm_judge: bool = False
    data: LoadedFile | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _Parsed:
    task: UserTask
    data: str  # the data path as written in the task file
    templates: tuple[tuple[str, Template], ...]  # (key, template) pairs that read records
    judge: UserJudge
    groups: tuple[str, ...]


def _messages(section: Section) -> tuple[tuple[str, Template], ...]:
    """The ``prompt`` template as one user message, or the ``messages`` list."""
    if section.has("prompt") == section.has("messages"):
        raise section.error(
            "prompt",
            "expected either prompt (one template) or messages (a list), not both or neither",
        )
    if section.has("prompt"):
        return (("user", Template.parse(section, "prompt", section.raw("prompt"))),)
    value = section.raw("messages")
    if not isinstance(value, list) or not value:
        raise section.fail("messages", "a non-empty list of {role, content} mappings")
    messages = []
    for n, entry in enumerate(value):
        message = Section.of(section.file, f"messages[{n}]", entry, ("role", "content"))
        role = message.choice("role", _ROLES)
        messages.append((role, Template.parse(message, "content", message.raw("content"))))
    if not any(role == "user" for role, _ in messages):
        raise section.error("messages", "expected at least one message with role user")
    return tuple(messages)


def _builder(messages: tuple[tuple[str, Template], ...]):
    def build(record: dict[str, Any]) -> list[Message]:
        return [{"role": role, "content": template.render(record)} for role, template in messages]

    return build


def parse_definition(text: str, source: str) -> _Parsed:
    """A task from a task file's text; ``source`` names the file in errors and locates data."""
    import yaml  # only task files need it

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaskFileError(f"{source}: not valid YAML: {problem}{where}") from None
    top = Section.of(source, "", raw, _KEYS)
    name = top.text("id")
    if not _ID.fullmatch(name):
        raise top.fail("id", "lowercase letters, digits, _ and - (starting with a letter or digit)")
    dimension = top.choice("dimension", TASK_FILE_DIMENSIONS, CUSTOM)
    description = top.text("description", f"task defined in {Path(source).name}")
    data = top.text("data")
    if Path(data).suffix.lower() not in DATA_FORMATS:
        raise top.fail("data", "a path to a .jsonl, .csv or .json file")
    messages = _messages(top)
    sampling = Section.of(
        source, "sampling", top.raw("sampling", {}), ("temperature", "max_tokens")
    )
    temperature = sampling.number("temperature", 0.0, low=0.0, high=2.0)
    max_tokens = sampling.integer("max_tokens", 512, low=1)
    judge = build_judge(source, top.raw("judge"))
    metrics, groups = build_metrics(source, top.raw("metric"), judge)
    task = UserTask(
        id=f"{dimension}/{name}",
        file=data,
        description=description,
        temperature=temperature,
        judge=None,
        judge_batch=judge.batch,
        judge_name=judge.name,
        metrics=metrics,
        build_messages=_builder(messages),
        version=top.text("version", "1"),
        source=source,
        definition=text,
        max_tokens=max_tokens,
        needs_llm_judge=judge.needs_llm,
    )
    keys = tuple(
        ("prompt" if top.has("prompt") else f"messages[{n}].content", template)
        for n, (_, template) in enumerate(messages)
    )
    return _Parsed(task, data, keys, judge, groups)


# data -----------------------------------------------------------------------------------------


def _read_records(raw: bytes, suffix: str, shown: str) -> list[Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = []
        for row in reader:
            if None in row:
                raise TaskFileError(
                    f"{shown}: record {len(rows)} (line {reader.line_num}): more cells than the "
                    "header has columns"
                )
            rows.append(row)
        return rows
    if suffix == ".json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TaskFileError(
                f"{shown}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        if not isinstance(records, list):
            raise TaskFileError(
                f"{shown}: expected a JSON list of objects, got {describe(records)}"
            )
        return records
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise TaskFileError(f"{shown}: line {number}: not valid JSON ({exc.msg})") from None
    return records


def _check_records(parsed: _Parsed, records: list[Any], shown: str) -> None:
    """Every record has every field the prompt, judge and groups read, and a usable gold."""
    source, judge = parsed.task.source, parsed.judge
    needs = [(key, f) for key, template in parsed.templates for f in template.fields]
    needs += [("judge", f) for f in judge.fields]
    needs += [("metric.group_by", f) for f in parsed.groups]
    if judge.gold is not None:
        needs.append(("judge.gold", judge.gold))
    for index, record in enumerate(records):
        where = f"{source}: {shown}: record {index}"
        if not isinstance(record, dict):
            raise TaskFileError(f"{where}: expected an object, got {describe(record)}")
        for key, name in needs:
            if record.get(name) is None:
                raise TaskFileError(
                    f"{where}: field {name!r} is missing (the task file's {key} uses it)"
                )
        if judge.gold is not None and judge.read_gold is not None:
            value = record[judge.gold]
            if judge.read_gold(value) is None:
                raise TaskFileError(
                    f"{where}: field {judge.gold!r}: expected {judge.gold_expected} "
                    f"(judge.gold), got {describe(value)}"
                )


def load_task_file(path: str | Path) -> UserTask:
    """Read, check and return the task a task file defines, with its data loaded and checked."""
    source = str(path)
    location = Path(path)
    if not location.is_file():
        raise TaskFileError(f"{source}: no such task file")
    try:
        text = location.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TaskFileError(f"{source}: not UTF-8 text") from None
    parsed = parse_definition(text, source)
    data_path = location.parent / parsed.data
    shown = str(data_path)
    if not data_path.is_file():
        raise TaskFileError(f"{source}: data: no such file {shown}")
    raw = data_path.read_bytes()
    records = _read_records(raw, data_path.suffix.lower(), shown)
    if not records:
        raise TaskFileError(f"{source}: data: {shown} holds no records")
    _check_records(parsed, records, shown)
    resolved = str(data_path.resolve())
    loaded = LoadedFile(resolved, records, hashlib.sha256(raw).hexdigest(), "task file")
    return replace(parsed.task, file=resolved, data=loaded)


def load_task_files(paths: Iterable[str | Path]) -> list[UserTask]:
    """Every task file's task, in the order given; ids must be new and distinct."""
    from . import TASKS

    tasks: list[UserTask] = []
    for path in paths:
        task = load_task_file(path)
        if task.id in TASKS:
            raise TaskFileError(
                f"{task.source}: id: {task.id} is a built-in task; choose another id"
            )
        for other in tasks:
            if other.id == task.id:
                raise TaskFileError(
                    f"{task.source}: id: {task.id} is already defined by {other.source}"
                )
        tasks.append(task)
    return tasks


def task_file_data(tasks: Iterable[UserTask]) -> dict[str, LoadedFile]:
    """The loaded data of each task, by the task's ``file`` (as a run keeps its data files)."""
    return {task.file: task.data for task in tasks if task.data is not None}


def require_llm_judge(tasks: Iterable[Task], available: bool) -> None:
    """Stop before any model call when a task file's judge is an LLM and no ``--judge`` is set."""
    for task in tasks:
        if isinstance(task, UserTask) and task.needs_llm_judge and not available:
            raise TaskFileError(
                f"{task.source}: judge.kind: llm needs a judge model; pass --judge MODEL "
                "(and --judge-base-url for a server)"
            )


def manifest_entries(tasks: Iterable[UserTask]) -> dict[str, dict[str, Any]]:
    """What ``run.json`` keeps of each task file: its path and its whole text."""
    return {
        task.id: {
            "path": task.source,
            "sha256": hashlib.sha256(task.definition.encode("utf-8")).hexdigest(),
            "definition": task.definition,
        }
        for task in tasks
    }


def tasks_from_manifest(manifest: dict[str, Any]) -> dict[str, UserTask]:
    """The task-file tasks of a run, rebuilt from ``run.json`` (no task file or data needed)."""
    tasks = {}
    for task_id, entry in (manifest.get("task_files") or {}).items():
        parsed = parse_definition(entry["definition"], f"{entry['path']} (as kept in run.json)")
        stored = (manifest.get("tasks") or {}).get(task_id, {})
        task = replace(parsed.task, source=entry["path"], file=stored.get("file", parsed.data))
        if task.id != task_id:
            raise TaskFileError(
                f"run.json: task_files: {task_id} holds the definition of {task.id}"
            )
        tasks[task_id] = task
    return tasks


__all__ = [
    "TASK_FILE_DIMENSIONS",
    "TaskFileError",
    "UserTask",
    "load_task_file",
    "load_task_files",
    "manifest_entries",
    "require_llm_judge",
    "task_file_data",
    "tasks_from_manifest",
]
