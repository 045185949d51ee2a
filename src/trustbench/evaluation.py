"""One evaluation end to end: data -> suite -> engine -> judges -> metrics -> run folder."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._version import __version__
from .data import DataSource, LoadedFile, open_data
from .engine import Generator, Outcome, Store, default_store_path
from .engine.executors import Executor, ExecutorOptions
from .errors import DataError, TrustbenchError, UsageError
from .judges.context import JudgeContext
from .metrics import trust_scores
from .models import GenerationRequest, ModelSpec, create_backend, parse_model_spec
from .report.files import read_json, read_jsonl, write_json, write_jsonl
from .scoring import ItemResult, TaskResult, score_task
from .suite import TASKS, Item, Task, select_tasks
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

    def for_task(self, task: Task) -> SamplingParams:
        temperature = task.temperature if self.temperature is None else self.temperature
        return SamplingParams(temperature, self.max_tokens, self.top_p, self.seed)


class Results:
    """What ``results.json`` holds, with the run folder it was written to."""

    def __init__(self, data: dict[str, Any], run_dir: Path | None = None):
        self.data = data
        self.run_dir = run_dir

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


async def _generate(
    generator: Generator,
    tasks: list[Task],
    files: dict[str, LoadedFile],
    sampling: SamplingOverrides,
    limit: int | None,
    progress: Any,
) -> list[list[ItemResult]]:
    """Each task's items with their responses (or errors), one progress bar per task."""
    per_task: list[list[ItemResult]] = []
    try:
        for task in tasks:
            params = sampling.for_task(task)
            items = task.items(files[task.file].records, limit)
            keys = [request_key(generator.model_id, params, item.messages) for item in items]
            requests = [
                GenerationRequest(key, item.messages, params)
                for key, item in zip(keys, items, strict=True)
            ]
            bar = progress.add_task(task.id, total=len(items))
            outcomes = await generator.run(requests, lambda n, bar=bar: progress.advance(bar, n))
            per_task.append(
                [_item_result(item, outcomes[key]) for key, item in zip(keys, items, strict=True)]
            )
    finally:
        await generator.aclose()
    return per_task


def _item_result(item: Item, outcome: Outcome) -> ItemResult:
    return ItemResult(
        task_id=item.task_id,
        item_id=item.item_id,
        record=item.record,
        messages=item.messages,
        key=outcome.key,
        response=outcome.response,
        error=outcome.error,
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
    base_url: str | None = None,
    api_key_env: str | None = None,
    concurrency: int | None = None,
    temperature: float | None = None,
    max_tokens: int = 512,
    top_p: float = 1.0,
    seed: int = 0,
    store: str | Path | None = None,
    judge: str | None = None,
    judge_base_url: str | None = None,
    judge_api_key_env: str | None = None,
    toxicity: str = "offline",
    toxicity_key_env: str | None = None,
    refusal_judge: str = "default",
    show_progress: bool = False,
    executor: str = "local",
    ray_address: str | None = None,
    ray_workers: int | None = None,
    ray_cpus_per_worker: float | None = None,
) -> Results:
    """Evaluate a model on the selected tasks and write a run folder; see ``trustbench run``.

    ``judge`` names a model (same specs as ``model``) to use as an LLM judge where the reference
    uses GPT-4; without it every judge is offline. ``toxicity`` is ``offline`` (default) or
    ``perspective`` (the Perspective API, key in ``toxicity_key_env``). ``executor="ray"`` shards
    generation of an in-process model over Ray actors (see ``trustbench run --executor``).
    """
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    if max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    if concurrency is not None and concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    spec = parse_model_spec(model, base_url, api_key_env, concurrency)
    runner = Executor(
        spec,
        ExecutorOptions(executor, ray_address, ray_workers, ray_cpus_per_worker),
        lambda: create_backend(spec),
    )
    judges = JudgeOptions.parse(
        judge, judge_base_url, judge_api_key_env, toxicity, toxicity_key_env, refusal_judge
    )
    source = open_data(data)
    chosen, skipped = available_tasks(select_tasks(tasks), source)
    files = load_task_data(chosen, source)
    sampling = SamplingOverrides(temperature, max_tokens, top_p, seed)
    store_path = Path(store) if store else default_store_path()
    run_dir = Path(out) if out else default_run_dir(spec)
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in (RESULTS_FILE, RESPONSES_FILE):  # from an earlier run into the same folder
        (run_dir / stale).unlink(missing_ok=True)
    manifest = _manifest(spec, chosen, files, source, sampling, limit, store_path, _now())
    manifest["skipped_tasks"] = {t.id: f"{source.label} has no {t.file}" for t in skipped}
    manifest["judge_options"] = judges.describe()
    write_json(run_dir / MANIFEST_FILE, manifest)

    from .engine.progress import make_progress

    response_store = Store(store_path)
    generator = Generator(response_store, spec.model_id, runner.create_backend, concurrency)
    try:
        with make_progress(enabled=show_progress) as progress:
            per_task = asyncio.run(_generate(generator, chosen, files, sampling, limit, progress))
    except BaseException:
        manifest["executor"] = runner.describe()
        manifest["status"] = "interrupted"
        manifest["finished"] = _now()
        write_json(run_dir / MANIFEST_FILE, manifest)
        raise
    finally:
        response_store.close()
    task_results, manifest["judges"] = _score(
        list(zip(chosen, per_task, strict=True)), judges, store_path
    )
    manifest["finished"] = _now()
    manifest["status"] = "complete"
    manifest["model_calls"] = generator.calls
    manifest["executor"] = runner.describe()
    document = _write_outputs(run_dir, manifest, task_results)
    return Results(document, run_dir)


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
    unknown = [task_id for task_id in by_task if task_id not in TASKS]
    if unknown:
        raise TrustbenchError(f"{responses_path}: unknown task ids {', '.join(unknown)}")
    judges = JudgeOptions.parse(
        judge, judge_base_url, judge_api_key_env, toxicity, toxicity_key_env, refusal_judge
    )
    store_path = Path(store) if store else default_store_path()
    work = [(TASKS[task_id], items) for task_id, items in by_task.items()]
    task_results, manifest["judges"] = _score(work, judges, store_path)
    manifest["judge_options"] = judges.describe()
    manifest["rescored"] = _now()
    document = _write_outputs(run_dir, manifest, task_results)
    return Results(document, run_dir)
