"""One evaluation end to end: data -> suite -> engine -> judges -> metrics -> run folder."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ._version import __version__
from .data import DataSource, LoadedFile, open_data
from .engine import Generator, Outcome, Store, default_store_path
from .engine.executors import Executor, ExecutorOptions
from .errors import DataError, TrustbenchError, UsageError
from .judges.context import JudgeContext
from .metrics import task_score, trust_scores
from .models import GenerationRequest, ModelSpec, create_backend, parse_model_spec
from .models.http_policy import HTTPPolicy
from .report.files import read_json, read_jsonl, write_json, write_jsonl
from .scoring import (
    ChunkedJudging,
    ItemResult,
    TaskResult,
    judge_task,
    score_task,
    task_result,
)
from .suite import TASKS, Item, Task, select_tasks
from .suite.quick import QUICK_MAX_TOKENS, SELECTIONS, selected_items
from .suite.user_tasks import (
    UserTask,
    load_task_files,
    manifest_entries,
    require_llm_judge,
    task_file_data,
    tasks_from_manifest,
)
from .types import SamplingParams, request_key

RESULTS_FILE = "results.json"
RESPONSES_FILE = "responses.jsonl"
MANIFEST_FILE = "run.json"


@dataclass(frozen=True)
class SamplingOverrides:
    """Values that replace the reference's per-task sampling settings when given."""

    temperature: float | None = None
    max_tokens: int = 512
    top_p: float = 1.0
    seed: int = 0
    max_tokens_given: bool = False  # said by the user: it then beats a task file's own

    def for_task(self, task: Task) -> SamplingParams:
        temperature = task.temperature if self.temperature is None else self.temperature
        max_tokens = self.max_tokens
        if isinstance(task, UserTask) and not self.max_tokens_given:
            max_tokens = task.max_tokens
        return SamplingParams(temperature, max_tokens, self.top_p, self.seed)


class Results:
    """What ``results.json`` holds, with the run folder it was written to."""

    def __init__(self, data: dict[str, Any], run_dir: Path | None = None):
        self.data = data
        self.run_dir = run_dir
        # task charts drawn while the run generated (report.html.chart_key -> SVG), for the report
        self.charts: dict[str, str] = {}

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def tasks(self) -> dict[str, Any]:
        return self.data["tasks"]

    def metric(self, task_id: str, name: str) -> float | None:
        return self.data["tasks"][task_id]["metrics"][name]["value"]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __repr__(self) -> str:
        return f"Results({len(self.tasks)} tasks, run_dir={self.run_dir})"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_run_dir(spec: ModelSpec, root: Path = Path("runs")) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = root / f"{stamp}-{spec.slug}"
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = root / f"{stamp}-{spec.slug}-{suffix}"
    return candidate


def available_tasks(tasks: list[Task], source: DataSource) -> tuple[list[Task], list[Task]]:
    """Split the tasks into those whose file the data holds and those it lacks."""
    present = [task for task in tasks if source.has(task.file)]
    if not present:
        names = ", ".join(sorted({t.file for t in tasks}))
        raise DataError(source.label, f"holds none of the files the selected tasks need ({names})")
    return present, [task for task in tasks if not source.has(task.file)]


@dataclass(frozen=True)
class JudgeOptions:
    """Which judges score a run: an LLM judge model (or none) and the toxicity scorer."""

    llm: ModelSpec | None = None
    toxicity: str = "offline"
    toxicity_key_env: str = "PERSPECTIVE_API_KEY"
    refusal: str = "default"  # default | rules | hf:<folder> | a model spec
    refusal_model: ModelSpec | None = None

    @property
    def needs_store(self) -> bool:
        return self.llm is not None or self.refusal_model is not None

    @classmethod
    def parse(
        cls,
        judge: str | None,
        judge_base_url: str | None,
        judge_api_key_env: str | None,
        toxicity: str,
        toxicity_key_env: str | None,
        refusal: str = "default",
    ) -> JudgeOptions:
        """Check the options before any model is called."""
        import os

        llm = parse_model_spec(judge, judge_base_url, judge_api_key_env) if judge else None
        prefix, _, local = toxicity.partition(":")
        if prefix in ("detoxify", "hf") and local:
            if not Path(local).expanduser().exists():
                raise UsageError(f"--toxicity {toxicity}: no such folder or file")
        elif toxicity not in ("offline", "perspective"):
            raise UsageError(
                "--toxicity must be offline, perspective, detoxify:<path> or hf:<path>, "
                f"not {toxicity!r}"
            )
        key_env = toxicity_key_env or "PERSPECTIVE_API_KEY"
        if toxicity == "perspective" and not os.environ.get(key_env):
            raise UsageError(f"--toxicity perspective needs an API key in ${key_env}")
        refusal_model = None
        if refusal.startswith("hf:"):
            if not Path(refusal[3:]).expanduser().is_dir():
                raise UsageError(f"--refusal-judge {refusal}: no such folder")
        elif refusal not in ("default", "rules"):
            refusal_model = parse_model_spec(refusal, judge_base_url, judge_api_key_env)
        return cls(llm, toxicity, key_env, refusal, refusal_model)

    def describe(self) -> dict[str, Any]:
        return {
            "llm": self.llm.describe() if self.llm else None,
            "toxicity": self.toxicity,
            "refusal": self.refusal_model.describe() if self.refusal_model else self.refusal,
        }


def judge_context(options: JudgeOptions | None = None, store: Store | None = None) -> JudgeContext:
    """The judges' shared resources, built only when a task asks for them.

    With ``judge`` (a model spec) and a ``store``, tasks that the reference scores with GPT-4 use
    that model as an LLM judge instead of their offline default.
    """
    from .judges.similarity import default_embedder
    from .judges.toxicity import make_toxicity_scorer

    options = options or JudgeOptions()
    factories: dict[str, Any] = {
        "embedder": default_embedder,
        "toxicity": lambda: make_toxicity_scorer(options.toxicity, options.toxicity_key_env),
    }
    if options.needs_store and store is None:
        raise ValueError("an LLM judge needs a store for its verdicts")
    if options.llm is not None:
        from .judges.llm import LLMJudge

        llm = options.llm
        factories["llm"] = lambda: LLMJudge(llm, store)
    factories["refusal"] = lambda: make_refusal_judge(options, store)
    return JudgeContext(factories)


def make_refusal_judge(options: JudgeOptions, store: Store | None) -> Any:
    """The refusal judge that ``--refusal-judge`` names."""
    from .judges.refusal import RuleRefusalJudge, default_refusal_judge

    if options.refusal == "default":
        return default_refusal_judge()
    if options.refusal == "rules":
        return RuleRefusalJudge()
    if options.refusal.startswith("hf:"):
        from .judges.refusal_models import HFRefusalJudge

        return HFRefusalJudge(Path(options.refusal[3:]).expanduser())
    from .judges.llm import LLMJudge
    from .judges.refusal_models import LLMRefusalJudge

    assert options.refusal_model is not None and store is not None
    return LLMRefusalJudge(LLMJudge(options.refusal_model, store))


def _judges_used(context: JudgeContext) -> dict[str, str]:
    used = {}
    for name, resource in context.built().items():
        used[name] = f"{resource.name} v{getattr(resource, 'version', '1')}"
        if name == "llm":
            used[name] = resource.name
    return used


def load_task_data(tasks: Iterable[Task], source: DataSource) -> dict[str, LoadedFile]:
    """Read and validate every file the tasks need, before any model is called."""
    files: dict[str, LoadedFile] = {}
    for task in tasks:
        if task.file not in files:
            files[task.file] = source.load(task.file)
    return files


def _manifest(
    spec: ModelSpec,
    tasks: list[Task],
    files: dict[str, LoadedFile],
    source: DataSource,
    sampling: SamplingOverrides,
    limit: int | None,
    store: Path,
    started: str,
) -> dict[str, Any]:
    return {
        "trustbench_version": __version__,
        "model": spec.describe(),
        "sampling": {task.id: sampling.for_task(task).to_dict() for task in tasks},
        "tasks": {
            task.id: {
                "version": task.version,
                "file": task.file,
                "sha256": files[task.file].sha256,
                "judge": task.judge_name,
            }
            for task in tasks
        },
        "data": {
            "source": source.label,
            "files": {path: loaded.sha256 for path, loaded in sorted(files.items())},
        },
        "limit": limit,
        "store": str(store),
        "started": started,
        "finished": None,
        "status": "running",
    }


def _results_document(
    manifest: dict[str, Any], task_results: list[TaskResult], run_dir: Path
) -> dict[str, Any]:
    tasks = {
        result.task.id: result.to_dict(manifest["tasks"][result.task.id]["sha256"])
        for result in task_results
    }
    return {
        "run": {
            "run_dir": str(run_dir),
            "model": manifest["model"],
            "trustbench_version": manifest["trustbench_version"],
            "data_source": manifest["data"]["source"],
            "started": manifest["started"],
            "finished": manifest["finished"],
            "limit": manifest["limit"],
            "skipped_tasks": manifest.get("skipped_tasks", {}),
        },
        "scores": trust_scores({task_id: task["score"] for task_id, task in tasks.items()}),
        "tasks": tasks,
    }


def _write_outputs(run_dir: Path, manifest: dict[str, Any], task_results: list[TaskResult]) -> dict:
    write_jsonl(
        run_dir / RESPONSES_FILE, (item.to_dict() for r in task_results for item in r.items)
    )
    document = _results_document(manifest, task_results, run_dir)
    write_json(run_dir / RESULTS_FILE, document)
    write_json(run_dir / MANIFEST_FILE, manifest)
    return document


def resolve_sampling(
    data: str | Path | None,
    limit: int | None,
    selection: str | None,
    temperature: float | None,
    max_tokens: int | None,
    top_p: float,
    seed: int,
    builtin_tasks: bool = True,
) -> tuple[str, SamplingOverrides]:
    """The selection (quick by default on the built-in suite, full with ``data`` or ``limit``, or
    when only task files run: their records are the user's own) and the sampling overrides of a
    run (answers cut at 128 tokens in a quick run, else 512)."""
    max_tokens_given = max_tokens is not None
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    if selection is None:
        quick = data is None and limit is None and builtin_tasks
        selection = "quick" if quick else "full"
    if selection not in SELECTIONS:
        raise UsageError(f"selection must be quick or full, not {selection!r}")
    if max_tokens is None:
        max_tokens = QUICK_MAX_TOKENS if selection == "quick" and limit is None else 512
    if max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    return selection, SamplingOverrides(temperature, max_tokens, top_p, seed, max_tokens_given)


def resolve_tasks(
    data: str | Path | None, tasks: str | list[str] | None, user_tasks: list[Task]
) -> tuple[Any, list[Task], list[Any], dict[str, LoadedFile]]:
    """The data source, the tasks that run (built-in ones the source has, then the task
    files'), the built-in ones skipped for want of data, and every task's loaded file. With task
    files, built-in tasks run only when ``tasks`` names them."""
    source = open_data(data)
    builtin = select_tasks(tasks) if tasks is not None or not user_tasks else []
    chosen, skipped = available_tasks(builtin, source) if builtin else ([], [])
    files = {**load_task_data(chosen, source), **task_file_data(user_tasks)}
    return source, [*chosen, *user_tasks], skipped, files


def task_items(
    task: Task, files: dict[str, LoadedFile], selection: str, limit: int | None
) -> list[Item]:
    """The items a run sends for ``task``; a task file's records are the user's own, so all of
    them run, quick or not."""
    how = "full" if isinstance(task, UserTask) else selection
    return selected_items(task, files[task.file].records, how, limit)


async def _generate(
    generator: Generator,
    tasks: list[Task],
    files: dict[str, LoadedFile],
    sampling: SamplingOverrides,
    limit: int | None,
    progress: Any,
    selection: str = "full",
    on_task_done: Callable[[int, list[ItemResult]], None] | None = None,
    on_chunk: ChunkHook | None = None,
    chunked: Iterable[int] = (),
) -> list[list[ItemResult]]:
    """Each task's items with their responses (or errors), one progress bar per task.

    The tasks' requests go through one pool of workers, task after task, so the server stays
    busy where one task ends and the next begins. ``on_task_done(index, items)`` gets each
    task's items as soon as it and the tasks before it have all their responses. For the tasks
    ``chunked`` names, ``on_chunk(index, positions, items)`` gets their items in chunks as the
    responses arrive (``positions``: the items' indexes in the task), before ``on_task_done``;
    ``on_task_done`` still gets every item, the same objects.
    """
    advance = _Advance(progress)
    frozen = False
    try:
        keyed: list[tuple[list[Item], list[str]]] = []
        batches = []
        for task in tasks:
            params = sampling.for_task(task)
            items = task_items(task, files, selection, limit)
            keys = [request_key(generator.model_id, params, item.messages) for item in items]
            requests = [
                GenerationRequest(key, item.messages, params)
                for key, item in zip(keys, items, strict=True)
            ]
            bar = progress.add_task(task.id, total=len(items))
            batches.append((requests, functools.partial(advance.add, bar)))
            keyed.append((items, keys))
        # The data, items and requests live until the run ends: the garbage collector need not
        # walk them again and again while responses arrive (a full pass over a large run's
        # objects held the event loop for tens of milliseconds each time).
        gc.freeze()
        frozen = True
        done: dict[int, list[ItemResult]] = {}
        chunkers = {}
        if on_chunk is not None:
            chunkers = {i: _Chunker(i, *keyed[i], on_chunk) for i in chunked}

        def task_done(index: int, found: dict[str, Outcome]) -> None:
            items, keys = keyed[index]
            chunker = chunkers.pop(index, None)
            made = chunker.made if chunker is not None else {}
            done[index] = [
                made.get(position) or _item_result(item, found[key])
                for position, (key, item) in enumerate(zip(keys, items, strict=True))
            ]
            if on_task_done is not None:
                on_task_done(index, done[index])

        def arrived(index: int, key: str, outcome: Outcome) -> None:
            chunker = chunkers.get(index)
            if chunker is not None:
                chunker.arrived(key, outcome)

        await generator.run_batches(batches, task_done, arrived if chunkers else None)
    finally:
        advance.flush()
        if frozen:
            gc.unfreeze()
        await generator.aclose()
    return [done[index] for index in range(len(tasks))]


# Progress bars are advanced at most this often (rich records a sample and takes a lock per
# advance: once per response would cost more than the bars show).
PROGRESS_EVERY_S = 0.1


class _Advance:
    """Gathers progress advances per bar and passes them on together, a moment later."""

    def __init__(self, progress: Any):
        self.progress = progress
        self.pending: dict[Any, int] = {}
        self.timer: asyncio.TimerHandle | None = None

    def add(self, bar: Any, count: int) -> None:
        self.pending[bar] = self.pending.get(bar, 0) + count
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(PROGRESS_EVERY_S, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        pending, self.pending = self.pending, {}
        for bar, count in pending.items():
            self.progress.advance(bar, count)


ChunkHook = Callable[[int, list[int], list[ItemResult]], None]
# A task judged as its responses arrive gets them in chunks of this many items.
JUDGE_CHUNK_ITEMS = 500


class _Chunker:
    """Collects one task's items as their responses arrive; hands them on in chunks."""

    def __init__(self, index: int, items: list[Item], keys: list[str], hook: ChunkHook):
        self.index = index
        self.items = items
        self.hook = hook
        self.positions: dict[str, list[int]] = {}
        for position, key in enumerate(keys):
            self.positions.setdefault(key, []).append(position)
        self.waiting: list[tuple[int, Outcome]] = []
        self.made: dict[int, ItemResult] = {}  # the items handed on, by position

    def arrived(self, key: str, outcome: Outcome) -> None:
        for position in self.positions[key]:
            self.waiting.append((position, outcome))
        if len(self.waiting) >= JUDGE_CHUNK_ITEMS:
            waiting, self.waiting = self.waiting, []
            positions = [position for position, _ in waiting]
            chunk = [_item_result(self.items[p], outcome) for p, outcome in waiting]
            self.made.update(zip(positions, chunk, strict=True))
            self.hook(self.index, positions, chunk)


def _item_result(item: Item, outcome: Outcome) -> ItemResult:
    return ItemResult(
        task_id=item.task_id,
        item_id=item.item_id,
        record=item.record,
        messages=item.messages,
        key=outcome.key,
        response=outcome.response,
        error=outcome.error,
        permanent_error=outcome.permanent,
        cached=outcome.cached,
        finish_reason=outcome.finish_reason,
    )


def evaluate(
    model: str = "llamacpp",
    tasks: str | Iterable[str] | None = None,
    data: str | Path | None = None,
    limit: int | None = None,
    out: str | Path | None = None,
    *,
    base_url: str | Sequence[str] | None = None,
    api_key_env: str | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    retry_errors: bool = False,
    http: HTTPPolicy | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float = 1.0,
    seed: int = 0,
    store: str | Path | None = None,
    selection: str | None = None,
    judge: str | None = None,
    judge_base_url: str | None = None,
    judge_api_key_env: str | None = None,
    toxicity: str = "offline",
    toxicity_key_env: str | None = None,
    refusal_judge: str = "default",
    show_progress: bool = False,
    task_files: Iterable[str | Path] = (),
    executor: str = "local",
    ray_address: str | None = None,
    ray_workers: int | None = None,
    ray_cpus_per_worker: float | None = None,
    draw_charts: bool = False,
) -> Results:
    """Evaluate a model on the selected tasks and write a run folder; see ``trustbench run``.

    ``judge`` names a model (same specs as ``model``) to use as an LLM judge where the reference
    uses GPT-4; without it every judge is offline. ``toxicity`` is ``offline`` (default) or
    ``perspective`` (the Perspective API, key in ``toxicity_key_env``). ``selection`` is
    ``quick`` (about six balanced items per task, answers cut at 128 tokens) or ``full``; by
    default quick on the built-in suite and full on a data set given with ``data``.

    ``task_files`` are YAML task files (``examples/README.md``); their tasks always run, on
    every record (or ``limit``). With task files, built-in tasks run only when ``tasks`` names
    them (``"all"`` for every one).

    ``base_url`` may name several replicas of one model (a list, or URLs separated by commas);
    ``concurrency`` is then per replica. ``timeout`` is the longest wait for a reply's next bytes;
    ``http`` sets every timeout, retry and ejection parameter at once. Items that failed for good
    in an earlier run (a 4xx) are sent again only with ``retry_errors``.

    ``executor="ray"`` shards generation of an in-process model over Ray actors (see
    ``trustbench run --executor``).

    ``draw_charts``: a report follows (as after ``trustbench run``), so a large run's judging
    process also draws each task's chart for it (``Results.charts``) while later tasks generate.
    """
    task_files = list(task_files)
    builtin_tasks = tasks is not None or not task_files
    selection, sampling = resolve_sampling(
        data, limit, selection, temperature, max_tokens, top_p, seed, builtin_tasks
    )
    if concurrency is not None and concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    spec = parse_model_spec(model, base_url, api_key_env, concurrency)
    if http is not None or timeout is not None:
        policy = http or HTTPPolicy()
        spec = replace(spec, http=replace(policy, timeout=timeout) if timeout else policy)
    runner = Executor(
        spec,
        ExecutorOptions(executor, ray_address, ray_workers, ray_cpus_per_worker),
        lambda: create_backend(spec),
    )
    judges = JudgeOptions.parse(
        judge, judge_base_url, judge_api_key_env, toxicity, toxicity_key_env, refusal_judge
    )
    user_tasks = load_task_files(task_files)  # checked whole before any model call
    require_llm_judge(user_tasks, judges.llm is not None)
    source, chosen, skipped, files = resolve_tasks(data, tasks, user_tasks)
    store_path = Path(store) if store else default_store_path()
    response_store = Store(store_path)  # a damaged or locked store stops here, before any call
    run_dir = Path(out) if out else default_run_dir(spec)
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in (RESULTS_FILE, RESPONSES_FILE):  # from an earlier run into the same folder
        (run_dir / stale).unlink(missing_ok=True)
    manifest = _manifest(spec, chosen, files, source, sampling, limit, store_path, _now())
    manifest["skipped_tasks"] = {t.id: f"{source.label} has no {t.file}" for t in skipped}
    manifest["task_files"] = manifest_entries(user_tasks)  # so that `score` can rebuild them
    manifest["selection"] = "limit" if limit is not None else selection
    manifest["judge_options"] = judges.describe()
    write_json(run_dir / MANIFEST_FILE, manifest)

    from .engine.progress import make_progress

    generator = Generator(
        response_store, spec.model_id, runner.create_backend, retry_errors=retry_errors
    )
    # Without an LLM judge (which would call a model and share the store), each task is judged
    # and aggregated in a thread as soon as its responses are in, while later tasks generate.
    early = None
    if not judges.needs_store:
        in_process = _early_in_process(chosen, files, selection, limit)
        early = _EarlyScoring(chosen, judges, manifest, in_process, draw_charts)
    try:
        with make_progress(enabled=show_progress) as progress:
            per_task = asyncio.run(
                _generate(
                    generator,
                    chosen,
                    files,
                    sampling,
                    limit,
                    progress,
                    selection,
                    early.submit if early is not None else None,
                    early.submit_chunk if early is not None else None,
                    early.chunked if early is not None else (),
                )
            )
    except BaseException:
        if early is not None:
            early.close(cancel=True)
        manifest["executor"] = runner.describe()
        manifest["status"] = "interrupted"
        manifest["finished"] = _now()
        write_json(run_dir / MANIFEST_FILE, manifest)
        raise
    finally:
        response_store.close()
    if early is not None:
        task_results, manifest["judges"] = early.results()
    else:
        task_results, manifest["judges"] = _score(
            list(zip(chosen, per_task, strict=True)), judges, store_path
        )
    manifest["finished"] = _now()
    manifest["status"] = "complete"
    manifest["model_calls"] = generator.calls
    if generator.backend_stats:
        manifest["endpoints"] = generator.backend_stats
    manifest["executor"] = runner.describe()
    document = _write_outputs(run_dir, manifest, task_results)
    results = Results(document, run_dir)
    if early is not None:
        results.charts = early.charts
    return results


class _EarlyScoring:
    """Judges and aggregates tasks while later tasks generate, one task after another in the
    order they are submitted.

    In a process of its own for a large run (``process``: judging and bootstraps then use
    another core, and the event loop of generation keeps its own), else in a thread. Each task
    is scored exactly as :func:`_score` would (same judges, same seeded metrics), so the results
    are the same; only the time they take overlaps generation.

    The tasks whose judge reads each item on its own (:meth:`Task.judges_each_item`; their
    indexes are ``chunked``) are judged in chunks as their responses arrive, so that the last of
    them is not judged whole after the run's last response; their metrics are computed once,
    over all of their verdicts, when the task is submitted.
    """

    def __init__(
        self,
        tasks: list[Task],
        judges: JudgeOptions,
        manifest: dict[str, Any],
        process: bool,
        draw_charts: bool = False,
    ):
        self.tasks = tasks
        self.manifest = manifest
        self.draw_charts = draw_charts and process  # drawn in the judging process only
        self.charts: dict[str, str] = {}
        self.items: list[list[ItemResult]] = []
        self.futures: list[Future[Any]] = []
        self.chunks: dict[int, list[Future[Any]]] = {}  # futures of the chunks judged so far
        self.handed: dict[int, set[int]] = {}  # positions of the items in those chunks
        self.partial: dict[int, ChunkedJudging] = {}  # in a thread: the tasks judged in chunks
        self.process = process
        self.interval = sys.getswitchinterval()
        self.pool: futures.Executor
        if process:
            import multiprocessing

            # forked now, before generation starts a thread, an event loop or a connection it
            # could inherit in use: no module is imported again (spawn would run the caller's
            # main module again), and the store's connection is never touched there
            task_files = {"task_files": manifest["task_files"], "tasks": manifest["tasks"]}
            self.pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_scoring_worker,
                initargs=(judges, task_files, os.getpid()),
            )
            # start it now (it loads its judges while generation runs); the objects it inherits
            # are frozen first, so that its garbage collector does not copy them page by page
            gc.freeze()
            try:
                self.pool.submit(int)
            finally:
                gc.unfreeze()
            if self.draw_charts:  # import the plotting library there while generation runs
                self.pool.submit(_warm_charts)
        else:
            self.context = judge_context(judges, None)
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="trustbench-scoring")
            # a short GIL switch interval keeps the event loop of generation responsive
            sys.setswitchinterval(min(self.interval, SCORING_SWITCH_INTERVAL_S))
        # which tasks judge item by item (this may build the refusal judge here, a small file)
        asked = self.context if not process else judge_context(judges, None)
        self.chunked = [i for i, task in enumerate(tasks) if task.judges_each_item(asked)]

    def submit_chunk(self, index: int, positions: list[int], items: list[ItemResult]) -> None:
        """Judge some of a chunked task's items now (the rest come with :meth:`submit`)."""
        assert index >= len(self.futures), "a task's chunks come before the task"
        task = self.tasks[index]
        self.handed.setdefault(index, set()).update(positions)
        if self.process:
            future = self.pool.submit(_judge_chunk_in_worker, index, task.id, positions, items)
        else:
            if index not in self.partial:
                self.partial[index] = ChunkedJudging(task, self.context)
            future = self.pool.submit(self.partial[index].add, positions, items)
        self.chunks.setdefault(index, []).append(future)

    def submit(self, index: int, items: list[ItemResult]) -> None:
        assert index == len(self.futures), "tasks are submitted in order"
        task = self.tasks[index]
        self.items.append(items)
        handed = self.handed.pop(index, None)
        if handed is not None:  # judged in chunks: the items not handed yet, then the metrics
            rest = [p for p in range(len(items)) if p not in handed]
            last = [items[p] for p in rest]
            if self.process:
                future = self.pool.submit(
                    _finish_in_worker, index, task.id, rest, last, self.draw_charts
                )
            else:
                future = self.pool.submit(self.partial.pop(index).finish, rest, last)
            self.futures.append(future)
        elif self.process:
            self.futures.append(
                self.pool.submit(_judge_in_worker, task.id, items, index, self.draw_charts)
            )
        else:
            self.futures.append(self.pool.submit(judge_task, task, items, self.context))

    def _judged(self, index: int, future: Future[Any]) -> Any:
        for chunk in self.chunks.pop(index, ()):
            chunk.result()  # a judge's error in a chunk stops the run
        verdicts, metrics, *chart = future.result()
        if chart and chart[0] is not None:  # drawn in the judging process
            key, svg = chart[0]
            self.charts[key] = svg
        return verdicts, metrics

    def results(self) -> tuple[list[TaskResult], dict[str, str]]:
        finished = False
        try:
            results = [
                task_result(task, items, *self._judged(index, future))
                for index, (task, items, future) in enumerate(
                    zip(self.tasks, self.items, self.futures, strict=True)
                )
            ]
            if self.process:
                used = self.pool.submit(_judges_used_in_worker).result()
            else:
                used = _judges_used(self.context)
            if self.draw_charts:  # the report's radar, where the plotting library is loaded
                from .report.html import radar_series

                scores = trust_scores({r.task.id: task_score(r.metrics) for r in results})
                series = radar_series(scores, self.manifest)
                radar = self.pool.submit(_radar_in_worker, series).result()
                if radar is not None:
                    self.charts[radar[0]] = radar[1]
            finished = True
            return results, used
        except BrokenProcessPool:
            raise TrustbenchError(
                "the judging process stopped unexpectedly (out of memory?); the responses are "
                "in the store: `trustbench score RUN_DIR` judges them again"
            ) from None
        finally:
            self.close(cancel=not finished)  # Ctrl-C or an error: do not wait for the rest

    def close(self, cancel: bool = False) -> None:
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)
        if cancel:
            for process in processes:  # do not wait for the task it is judging
                process.terminate()
        sys.setswitchinterval(self.interval)


# While a task is scored in a thread during generation: how long the thread may hold the GIL
# when the event loop wants it (Python's default, 5 ms, would hold back every network event).
SCORING_SWITCH_INTERVAL_S = 0.0005
# Runs of at least this many items (full selection) are judged in a process of their own.
SCORING_PROCESS_MIN_ITEMS = 2000
SCORING_NICE = 10  # the judging process's lower CPU priority

_WORKER: dict[str, Any] = {}  # the judging process's judges and tasks


def _start_scoring_worker(judges: JudgeOptions, task_files: dict[str, Any], parent: int) -> None:
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops this process
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    with contextlib.suppress(OSError):
        os.nice(SCORING_NICE)  # generation, which keeps the server busy, goes first
    _WORKER["context"] = judge_context(judges, None)
    _WORKER["tasks"] = {**TASKS, **tasks_from_manifest(task_files)}


def _exit_with(parent: int) -> None:
    """End the judging process once the run's process is gone (killed, even with kill -9)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


PARENT_CHECK_S = 0.5


def _judge_in_worker(
    task_id: str, items: list[ItemResult], index: int = 0, draw_chart: bool = False
) -> Any:
    verdicts, metrics = judge_task(_WORKER["tasks"][task_id], items, _WORKER["context"])
    return verdicts, metrics, _chart(index, metrics) if draw_chart else None


def _radar_in_worker(series: dict[str, dict[str, Any]]) -> tuple[str, str] | None:
    try:
        from .data.schemas import DIMENSIONS
        from .report.charts import radar_svg
        from .report.html import chart_key

        return chart_key(series), radar_svg(series, list(DIMENSIONS), prefix="radar-")
    except Exception:  # the report draws it, and says why it fails
        return None


def _warm_charts() -> None:
    with contextlib.suppress(Exception):  # a failure shows when the report draws the chart
        from matplotlib.backends import backend_svg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401

        from .report import charts  # noqa: F401


def _chart(index: int, metrics: dict[str, Any]) -> tuple[str, str] | None:
    """A task's chart for the report, drawn here while later tasks generate: its rows (as the
    report reads them from results.json) and its SVG (ids prefixed per task, unique on the
    page). None if it cannot be drawn: the report then draws it, and says why it fails."""
    try:
        from .report.charts import interval_bars_svg
        from .report.html import chart_key, chart_rows

        rows = chart_rows({name: value.to_dict() for name, value in metrics.items()})
        if not rows:
            return None
        return chart_key(rows), interval_bars_svg(rows, prefix=f"t{index}-")
    except Exception:
        return None


def _judge_chunk_in_worker(
    index: int, task_id: str, positions: list[int], items: list[ItemResult]
) -> None:
    partial = _WORKER.setdefault("partial", {})
    if index not in partial:
        partial[index] = ChunkedJudging(_WORKER["tasks"][task_id], _WORKER["context"])
    partial[index].add(positions, items)


def _finish_in_worker(
    index: int, task_id: str, positions: list[int], items: list[ItemResult], draw_chart: bool
) -> Any:
    verdicts, metrics = _WORKER["partial"].pop(index).finish(positions, items)
    return verdicts, metrics, _chart(index, metrics) if draw_chart else None


def _judges_used_in_worker() -> dict[str, str]:
    return _judges_used(_WORKER["context"])


def _early_in_process(
    tasks: list[Task], files: dict[str, LoadedFile], selection: str, limit: int | None
) -> bool:
    """Whether a run is large enough for a judging process: it costs a fork at the start and a
    copy of every task's items sent to it, and its judges are loaded there."""
    if selection == "quick" or sys.platform != "linux":  # fork is safe where it is the default
        return False
    items = sum(min(len(files[t.file].records), limit or len(files[t.file].records)) for t in tasks)
    return items >= SCORING_PROCESS_MIN_ITEMS


def _score(
    work: list[tuple[Task, list[ItemResult]]], judges: JudgeOptions, store_path: Path
) -> tuple[list[TaskResult], dict[str, str]]:
    """Judge and aggregate every task; return the results and the judges that were used."""
    store = Store(store_path) if judges.needs_store else None
    try:
        context = judge_context(judges, store)
        results = [score_task(task, items, context) for task, items in work]
        return results, _judges_used(context)
    finally:
        if store is not None:
            store.close()


def score_run(
    run_dir: str | Path,
    judge: str | None = None,
    judge_base_url: str | None = None,
    judge_api_key_env: str | None = None,
    store: str | Path | None = None,
    toxicity: str = "offline",
    toxicity_key_env: str | None = None,
    refusal_judge: str = "default",
) -> Results:
    """Judge a run's stored responses again (new judges, fixed metrics) without calling the model.

    Only an LLM judge given with ``judge`` makes calls, to that judge model.
    """
    run_dir = Path(run_dir)
    manifest_path, responses_path = run_dir / MANIFEST_FILE, run_dir / RESPONSES_FILE
    for path in (manifest_path, responses_path):
        if not path.is_file():
            raise TrustbenchError(f"{path}: not found; is {run_dir} a trustbench run folder?")
    manifest = read_json(manifest_path)
    rows = read_jsonl(responses_path)
    by_task: dict[str, list[ItemResult]] = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(ItemResult.from_dict(row))
    known: dict[str, Task] = {**TASKS, **tasks_from_manifest(manifest)}
    unknown = [task_id for task_id in by_task if task_id not in known]
    if unknown:
        raise TrustbenchError(f"{responses_path}: unknown task ids {', '.join(unknown)}")
    judges = JudgeOptions.parse(
        judge, judge_base_url, judge_api_key_env, toxicity, toxicity_key_env, refusal_judge
    )
    require_llm_judge([known[task_id] for task_id in by_task], judges.llm is not None)
    store_path = Path(store) if store else default_store_path()
    work = [(known[task_id], items) for task_id, items in by_task.items()]
    task_results, manifest["judges"] = _score(work, judges, store_path)
    manifest["judge_options"] = judges.describe()
    manifest["rescored"] = _now()
    document = _write_outputs(run_dir, manifest, task_results)
    return Results(document, run_dir)
