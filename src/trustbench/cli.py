"""The ``trustbench`` command: a thin layer over :mod:`trustbench.api`.

Imports stay lazy so that ``trustbench --help`` starts at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__

EPILOG = """examples:
  trustbench run                                   embedded model, quick built-in suite, offline
  trustbench run --full                            every item of the built-in suite
  trustbench run --tasks safety --limit 20         one dimension, first 20 items per task
  trustbench run --data dataset.zip --model openai:my-model --base-url http://127.0.0.1:8000/v1
  trustbench run --task-file examples/over_refusal.yaml --model openai:m --base-url URL
  trustbench tasks --data dataset.zip --json
  trustbench score runs/20261123-101500-smollm2-135m-instruct-q4-1
  trustbench report runs/20261123-101500-smollm2-135m-instruct-q4-1 --open
"""


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model",
        default="llamacpp",
        help="llamacpp (embedded SmolLM2-135M-Instruct, the default), llamacpp:/path/model.gguf, "
        "openai:<model name>, hf:<folder or hub id>[?options] (transformers) or "
        "vllm:<folder or hub id>[?options]; a hub id loads from the local cache unless the spec "
        "ends in ?download=1",
    )
    model.add_argument(
        "--base-url",
        action="append",
        metavar="URL",
        help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1; repeat it (or separate "
        "URLs with commas) for replicas of one model: each request goes to the least busy one",
    )
    model.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable that holds the API key (default OPENAI_API_KEY)",
    )
    model.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="most requests in flight per endpoint (default 64 for HTTP); halves on 429/503 and "
        "grows back while the server keeps up",
    )
    model.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="longest wait for the next bytes of a reply before the attempt is retried "
        "(default 300)",
    )
    model.add_argument(
        "--retry-errors",
        action="store_true",
        help="send again the items that failed for good in an earlier run (a 4xx); without it "
        "they are reported from the store",
    )
    executor = parser.add_argument_group("executor (where an in-process model runs)")
    executor.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local (this process, the default) or ray: shard generation over Ray actors, one "
        "model each (pip install 'trustbench[ray]')",
    )
    executor.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="Ray cluster to join (e.g. auto, or host:6379); default $RAY_ADDRESS or a new local one",
    )
    executor.add_argument(
        "--ray-workers",
        type=int,
        metavar="N",
        help="number of actors (default: cluster CPUs / CPUs per worker, or one per GPU)",
    )
    executor.add_argument(
        "--ray-cpus-per-worker",
        type=float,
        metavar="C",
        help="CPUs (and model threads) per actor (default 4, at most a node's CPUs; 1 on GPUs)",
    )
    what = parser.add_argument_group("what to run")
    what.add_argument(
        "--tasks",
        help="task ids, dimensions or globs, comma-separated (e.g. safety, 'fairness/*'); default "
        "all, or none when --task-file is given",
    )
    what.add_argument(
        "--task-file",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML task file (format: examples/README.md); repeatable. Its task always runs, on "
        "every record (or --limit); built-in tasks then run only as --tasks names them "
        "(--tasks all for every one)",
    )
    what.add_argument(
        "--data",
        help="official TrustLLM dataset.zip or its extracted folder (default: built-in suite)",
    )
    what.add_argument("--limit", type=int, metavar="N", help="first N items of each task")
    size = what.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="selection",
        action="store_const",
        const="quick",
        help="about 6 balanced items per task, answers cut at 128 tokens (default without --data)",
    )
    size.add_argument(
        "--full",
        dest="selection",
        action="store_const",
        const="full",
        help="every item of every task (default with --data)",
    )
    sampling = parser.add_argument_group("sampling (default: the reference's per-file settings)")
    sampling.add_argument("--temperature", type=float, help="one temperature for every task")
    sampling.add_argument(
        "--max-tokens",
        type=int,
        help="answer length cap (default 512; 128 in a quick run; a task file's own max_tokens "
        "for its task)",
    )
    sampling.add_argument("--top-p", type=float, default=1.0)
    sampling.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    _add_judge_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out", metavar="DIR", help="run folder (default runs/<date-time>-<model>)"
    )
    output.add_argument(
        "--store",
        metavar="PATH",
        help="SQLite response store shared by runs (default $TRUSTBENCH_STORE or "
        "~/.cache/trustbench/store.sqlite)",
    )
    output.add_argument("--no-progress", action="store_true", help="no progress bars")
    output.add_argument("--json", action="store_true", help="print results.json instead of a table")
    plan = parser.add_argument_group("cost and time before spending")
    plan.add_argument(
        "--dry-run",
        action="store_true",
        help="print requests, prompt tokens, estimated completion tokens, cost and time per task; "
        "call no model, write no run folder",
    )
    plan.add_argument("--price-in", type=float, metavar="USD", help="USD per million prompt tokens")
    plan.add_argument(
        "--price-out", type=float, metavar="USD", help="USD per million completion tokens"
    )
    plan.add_argument(
        "--throughput",
        metavar="RATE",
        help="for the time: completion tokens/s (120 or 120tok/s) or requests/s (4req/s); "
        "default: measured from the store's earlier responses of the model",
    )


def _add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    judge = parser.add_argument_group("judge (default: offline judges only)")
    judge.add_argument(
        "--judge",
        metavar="MODEL",
        help="a model spec to use as LLM judge where the reference uses GPT-4 (e.g. openai:gpt-4o)",
    )
    judge.add_argument("--judge-base-url", help="endpoint of the judge model")
    judge.add_argument("--judge-api-key-env", metavar="NAME", help="variable holding its API key")
    judge.add_argument(
        "--refusal-judge",
        metavar="JUDGE",
        default="default",
        help="default (rules, then a learned layer), rules, hf:<local classifier folder>, or a "
        "model spec used as LLM judge (with --judge-base-url / --judge-api-key-env)",
    )
    judge.add_argument(
        "--toxicity",
        default="offline",
        metavar="SCORER",
        help="toxicity scorer: offline (profanity-check, default), perspective (the Perspective "
        "API), detoxify:<local checkpoint folder or .ckpt>, or hf:<local classifier folder>",
    )
    judge.add_argument(
        "--perspective-key-env",
        metavar="NAME",
        help="variable holding the Perspective API key (default PERSPECTIVE_API_KEY)",
    )


def _add_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--in", dest="input", required=True, metavar="FILE", help="JSONL or CSV")
    parser.add_argument("--field", required=True, metavar="NAME", help="the field with the text")
    parser.add_argument(
        "--prompt-field",
        metavar="NAME",
        help="the field with the prompt the text answers (optional; the refusal judge reads "
        "echoes, premise rebuttals and yes/no answers better with it)",
    )
    parser.add_argument(
        "--store", metavar="PATH", help="store for LLM-judge verdicts (default as for run)"
    )
    _add_judge_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustbench",
        description="Measure how far a large language model can be trusted: truthfulness, safety, "
        "fairness, robustness, privacy and machine ethics (the TrustLLM benchmark).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"trustbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="evaluate a model and write a run folder")
    _add_run_arguments(run)
    _add_no_report_flag(run)

    score = commands.add_parser("score", help="re-judge a run's stored responses (no model calls)")
    score.add_argument("run_dir", metavar="RUN_DIR")
    _add_judge_arguments(score)
    score.add_argument("--store", metavar="PATH", help="store for LLM-judge verdicts")
    score.add_argument("--json", action="store_true", help="print results.json instead of a table")
    _add_no_report_flag(score)

    tasks = commands.add_parser("tasks", help="list tasks with dimension, items and metrics")
    tasks.add_argument("--data", help="count items in this data set (default: built-in suite)")
    tasks.add_argument(
        "--task-file",
        action="append",
        default=[],
        metavar="FILE",
        help="list the tasks of this YAML task file too (repeatable)",
    )
    tasks.add_argument("--json", action="store_true", help="machine-readable output")

    judge = commands.add_parser("judge", help="judge the responses in a JSONL or CSV file")
    judge_commands = judge.add_subparsers(dest="judge_command", metavar="JUDGE")
    for kind, text in (("refusal", "refusal or compliance"), ("toxicity", "toxicity score")):
        one = judge_commands.add_parser(kind, help=f"add the {text} of each row")
        _add_file_arguments(one)
        one.add_argument("--out", metavar="FILE", help="JSONL or .csv (default: JSONL on stdout)")
    check = judge_commands.add_parser("check", help="agreement of a judge with human labels")
    check.add_argument("kind", choices=("refusal", "toxicity"))
    _add_file_arguments(check)
    check.add_argument("--label-field", required=True, metavar="LABEL", help="the human label")
    check.add_argument("--json", action="store_true", help="machine-readable report")

    data = commands.add_parser("data", help="the official TrustLLM data set")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION")
    download = data_commands.add_parser(
        "download", help="fetch dataset.zip, verify its sha256, extract it safely"
    )
    download.add_argument("dir", nargs="?", default="trustllm-data", metavar="DIR")
    download.add_argument("--url", help="a mirror of dataset.zip (the checksum is still verified)")
    info = data_commands.add_parser(
        "info", help="per task: items, quick selection, label balance, source and sha256"
    )
    info.add_argument("--data", help="dataset.zip or its folder (default: built-in suite)")
    info.add_argument("--tasks", help="task ids, dimensions or globs (default all)")
    info.add_argument("--json", action="store_true")
    validate = data_commands.add_parser("validate", help="check every file of a data set")
    validate.add_argument("path", metavar="PATH", help="dataset.zip or its extracted folder")
    validate.add_argument("--json", action="store_true")
    augment = data_commands.add_parser(
        "augment", help="write jailbreak or perturbed variants of the rows of a file"
    )
    augment.add_argument("--list", action="store_true", help="list the transforms and exit")
    augment.add_argument("--transform", metavar="NAME[,NAME]", help="transforms to apply")
    augment.add_argument("--in", dest="input", metavar="FILE", help="JSONL, CSV or JSON list")
    augment.add_argument("--field", metavar="NAME", help="the field with the text to transform")
    augment.add_argument("--out", metavar="FILE", help="JSONL, CSV or JSON list, by suffix")
    augment.add_argument("--seed", type=int, default=0, help="seed of the perturbations")
    _add_compare_parser(commands)
    _add_report_parser(commands)
    return parser


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _cmd_run(args: argparse.Namespace) -> int:
    if args.dry_run:
        return _cmd_dry_run(args)
    if args.price_in is not None or args.price_out is not None or args.throughput is not None:
        from .errors import UsageError

        raise UsageError("--price-in, --price-out and --throughput go with --dry-run")
    from .api import evaluate
    from .report.terminal import print_summary

    results = evaluate(
        model=args.model,
        tasks=args.tasks,
        data=args.data,
        limit=args.limit,
        out=args.out,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retry_errors=args.retry_errors,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        top_p=args.top_p,
        seed=args.seed,
        store=args.store,
        selection=args.selection,
        judge=args.judge,
        judge_base_url=args.judge_base_url,
        judge_api_key_env=args.judge_api_key_env,
        toxicity=args.toxicity,
        toxicity_key_env=args.perspective_key_env,
        refusal_judge=args.refusal_judge,
        show_progress=not args.no_progress,
        task_files=args.task_file,
        executor=args.executor,
        ray_address=args.ray_address,
        ray_workers=args.ray_workers,
        ray_cpus_per_worker=args.ray_cpus_per_worker,
        draw_charts=not args.no_report,
    )
    if args.json:
        _print_json(results.to_dict())
    else:
        print_summary(results.to_dict())
    _report_after(args, results.run_dir, results.charts)
    skipped = results["run"].get("skipped_tasks", {})
    if skipped:
        print(
            f"trustbench: skipped {len(skipped)} task(s) the data set has no file for: "
            + ", ".join(skipped),
            file=sys.stderr,
        )
    failed = sum(task["errors"] for task in results.tasks.values())
    permanent = sum(task.get("permanent_errors", 0) for task in results.tasks.values())
    if permanent:
        print(
            f"trustbench: {permanent} item(s) failed for good (an HTTP 4xx, stored with its "
            "message; see 'error' in responses.jsonl); fix the cause, then run the same command "
            "with --retry-errors to send them again",
            file=sys.stderr,
        )
    if failed - permanent:
        print(
            f"trustbench: {failed - permanent} item(s) got no response after retries (see "
            "'error' in responses.jsonl); run the same command again to retry them",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _cmd_dry_run(args: argparse.Namespace) -> int:
    from .api import estimate_run

    plan = estimate_run(
        model=args.model,
        tasks=args.tasks,
        data=args.data,
        limit=args.limit,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        concurrency=args.concurrency,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        top_p=args.top_p,
        seed=args.seed,
        store=args.store,
        price_in=args.price_in,
        price_out=args.price_out,
        throughput=args.throughput,
        selection=args.selection,
        task_files=args.task_file,
    )
    if args.json:
        _print_json(plan)
    else:
        from .report.plan import print_plan

        print_plan(plan)
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from .api import score_run
    from .report.terminal import print_summary

    results = score_run(
        args.run_dir,
        judge=args.judge,
        judge_base_url=args.judge_base_url,
        judge_api_key_env=args.judge_api_key_env,
        store=args.store,
        toxicity=args.toxicity,
        toxicity_key_env=args.perspective_key_env,
        refusal_judge=args.refusal_judge,
    )
    if args.json:
        _print_json(results.to_dict())
    else:
        print_summary(results.to_dict())
    _report_after(args, results.run_dir)
    return 0


def _cmd_tasks(args: argparse.Namespace) -> int:
    from .api import list_tasks

    rows = list_tasks(args.data, task_files=args.task_file)
    if args.json:
        _print_json(rows)
        return 0
    from rich.markup import escape
    from rich.table import Table

    from .console import make_console

    table = Table(header_style="bold")
    table.add_column("task", no_wrap=True)
    table.add_column("dimension")
    table.add_column("items", justify="right")
    table.add_column("metrics (↑ higher / ↓ lower is better)")
    for row in rows:
        metrics = ", ".join(
            f"{m['name']} {'↑' if m['higher_is_better'] else '↓'}" for m in row["metrics"]
        )
        table.add_row(escape(row["id"]), row["dimension"], str(row["items"]), escape(metrics))
    make_console().print(table)
    return 0


def _cmd_judge(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.judge_command is None:
        parser.parse_args(["judge", "--help"])
        return 2
    from .api import check_judge, judge_file

    kind = args.kind if args.judge_command == "check" else args.judge_command
    options = {
        "judge": args.judge,
        "judge_base_url": args.judge_base_url,
        "judge_api_key_env": args.judge_api_key_env,
        "toxicity": args.toxicity,
        "toxicity_key_env": args.perspective_key_env,
        "refusal_judge": args.refusal_judge,
        "store": args.store,
        "prompt_field": args.prompt_field,
    }
    if args.judge_command != "check":
        judge_file(
            kind, Path(args.input), args.field, Path(args.out) if args.out else None, **options
        )
        return 0
    report = check_judge(kind, Path(args.input), args.field, args.label_field, **options)
    if args.json:
        _print_json(report)
        return 0
    _print_check(report)
    return 0


def _print_check(report: dict) -> None:
    print(f"judge: {report['judge']}   rows: {report['n']}")
    for key in ("agreement", "precision", "recall"):
        value = report[key]
        suffix = f" ({report['positive']})" if key != "agreement" else ""
        print(f"{key + suffix:<24} {'—' if value is None else f'{value:.4f}'}")
    names = list(report["confusion"])
    print("\nconfusion (rows: human label, columns: judge)")
    print(" " * 12 + "".join(f"{name:>12}" for name in names))
    for gold in names:
        print(f"{gold:<12}" + "".join(f"{report['confusion'][gold][p]:>12}" for p in names))
    if report["disagreements"]:
        print(f"\n{len(report['disagreements'])} disagreement(s):")
        for row in report["disagreements"]:
            print(f"  row {row['row']}: label {row['label']}, judge {row['judge']}: {row['text']}")


def _print_data_info(rows: list[dict]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .console import make_console

    table = Table(title="data per task", title_justify="left")
    for name, justify in (
        ("task", "left"),
        ("items", "right"),
        ("quick", "right"),
        ("labels", "left"),
        ("source", "left"),
        ("sha256", "left"),
    ):
        table.add_column(name, justify=justify)
    for row in rows:
        labels = ", ".join(f"{label} {count}" for label, count in row["labels"].items())
        table.add_row(
            escape(row["id"]),
            str(row["items"]),
            str(row["quick"]),
            escape(labels or "—"),
            escape(row["source"] or f"missing {row['file']}"),
            (row.get("sha256") or "")[:12],
        )
    console = make_console()
    console.print(table)
    total = sum(row["items"] for row in rows)
    quick = sum(row["quick"] for row in rows)
    console.print(f"{len(rows)} tasks, {total} items ({quick} in the quick selection)")


def _cmd_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.data_command == "download":
        from .data.download import OFFICIAL_URL, download_dataset

        target = Path(args.dir)
        zip_path = download_dataset(target, url=args.url or OFFICIAL_URL)
        print(f"verified {zip_path} and extracted it under {target}/dataset")
        print(f"use it with: trustbench run --data {target}")
        return 0
    if args.data_command == "info":
        from .api import data_info

        rows = data_info(args.data, args.tasks)
        if args.json:
            _print_json(rows)
        else:
            _print_data_info(rows)
        return 0
    if args.data_command == "validate":
        from .api import validate_data

        rows = validate_data(args.path)
        if args.json:
            _print_json(rows)
        else:
            for row in rows:
                print(f"{row['file']:<45} {row['records']:>6} records  sha256 {row['sha256'][:12]}")
            print(f"{len(rows)} files, {sum(r['records'] for r in rows)} records: all valid")
        return 0
    if args.data_command == "augment":
        return _cmd_augment(args)
    parser.parse_args(["data", "--help"])
    return 2


def _cmd_augment(args: argparse.Namespace) -> int:
    from .api import augment_file, list_transforms
    from .errors import UsageError

    if args.list:
        rows = list_transforms()
        names = [
            r["name"] if r["name"] == r["slug"] else f"{r['name']} ({r['slug']})" for r in rows
        ]
        width = max(map(len, names))
        for name, row in zip(names, rows, strict=True):
            print(f"{name:<{width}}  {row['kind']:<11}  {row['description']}")
        return 0
    needed = {"--transform": args.transform, "--in": args.input, "--field": args.field}
    needed["--out"] = args.out
    missing = [flag for flag, value in needed.items() if not value]
    if missing:
        raise UsageError(f"data augment needs {', '.join(missing)} (or --list)")
    written = augment_file(args.input, args.out, args.field, args.transform, seed=args.seed)
    print(f"wrote {written} rows to {args.out}")
    return 0


def _add_compare_parser(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare",
        help="runs side by side (ranks, best values, radar, trade-off), optionally beside the "
        "published TrustLLM leaderboard",
    )
    compare.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    compare.add_argument(
        "--reference",
        metavar="NAME",
        help="add a published leaderboard's models as rows and compare on its formulas: trustllm",
    )
    compare.add_argument(
        "--format",
        default="html",
        metavar="FORMAT",
        help="html (default: ./compare.html or --out, and a table in the terminal), md or csv "
        "(stdout or --out)",
    )
    compare.add_argument("--out", metavar="FILE", help="where to write the comparison")


def _cmd_compare(args: argparse.Namespace) -> int:
    from .report.compare import build_comparison, check_format, print_comparison, write_comparison

    check_format(args.format)
    comparison = build_comparison(args.run_dirs, reference=args.reference)
    path = write_comparison(comparison, args.format, args.out)
    if args.format == "html":
        print_comparison(comparison)
    if path is not None:
        print(f"wrote {path}")
    return 0


def _add_report_parser(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report", help="write a run's self-contained HTML report (charts, metrics, item browser)"
    )
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument(
        "--out", metavar="FILE", help="where to write it (default RUN_DIR/report.html)"
    )
    report.add_argument("--open", action="store_true", help="open it in the default web browser")


def _add_no_report_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-report", action="store_true", help="do not write report.html into the run folder"
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from .api import write_report

    path = write_report(args.run_dir, args.out)
    print(f"wrote {path}")
    if args.open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    return 0


def _report_after(
    args: argparse.Namespace, run_dir: Path | None, charts: dict[str, str] | None = None
) -> None:
    """After run and score: refresh RUN_DIR/report.html unless --no-report (stderr under --json);
    ``charts``: the task charts a run drew while it generated."""
    if args.no_report or run_dir is None:
        return
    from .api import write_report

    path = write_report(run_dir, charts=charts)
    print(f"Report: {path}", file=sys.stderr if args.json else sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from .errors import TrustbenchError

    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "score":
            return _cmd_score(args)
        if args.command == "tasks":
            return _cmd_tasks(args)
        if args.command == "judge":
            return _cmd_judge(args, parser)
        if args.command == "compare":
            return _cmd_compare(args)
        if args.command == "report":
            return _cmd_report(args)
        return _cmd_data(args, parser)
    except TrustbenchError as exc:
        print(f"trustbench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "\ntrustbench: interrupted; every response received so far is stored, "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
