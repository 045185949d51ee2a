"""Throughput of the in-process backends: transformers batched vs one at a time, and the
embedded llama.cpp model in this process vs sharded over Ray actors.

    python benchmarks/bench_local_backends.py --hf /path/to/hf-folder     # transformers
    python benchmarks/bench_local_backends.py --ray                       # llama.cpp vs Ray
    python benchmarks/bench_local_backends.py --convert-embedded DIR      # write an hf folder

``--convert-embedded`` turns the embedded SmolLM2-135M-Instruct GGUF into a transformers folder
(needs ``pip install gguf accelerate``), so both backends can run the same model. Prompts are the
built-in suite's safety/misuse items; decoding is greedy. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path

from trustbench.data import open_data
from trustbench.models import GenerationRequest, create_backend, parse_model_spec
from trustbench.suite import TASKS
from trustbench.types import SamplingParams


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def prompts(count: int) -> list[list[dict[str, str]]]:
    task = TASKS["safety/misuse"]
    items = task.items(open_data(None).load(task.file).records, None)
    messages = [item.messages for item in items]
    return [messages[i % len(messages)] for i in range(count)]


def requests(count: int, max_tokens: int) -> list[GenerationRequest]:
    sampling = SamplingParams(temperature=0.0, max_tokens=max_tokens)
    return [GenerationRequest(str(i), m, sampling) for i, m in enumerate(prompts(count))]


def run_backend(backend, batch: list[GenerationRequest]) -> tuple[float, list, float]:
    """Seconds to load (or warm up), results, seconds to generate the batch with the backend's
    own concurrency."""

    async def go():
        start = time.perf_counter()
        if hasattr(backend, "load"):
            await asyncio.to_thread(backend.load)
        else:  # Ray: the first request starts every actor, which loads its model
            await backend.generate(batch[0])
        loaded = time.perf_counter() - start
        gate = asyncio.Semaphore(backend.max_concurrency)

        async def one(request):
            async with gate:
                return await backend.generate(request)

        start = time.perf_counter()
        results = await asyncio.gather(*(one(r) for r in batch))
        elapsed = time.perf_counter() - start
        await backend.aclose()
        return loaded, results, elapsed

    return asyncio.run(go())


def bench_hf(
    folder: str, count: int, max_tokens: int, batch_sizes: list[int], threads: int | None
) -> None:
    batch = requests(count, max_tokens)
    baseline = None
    print(
        f"transformers, {folder}: {count} prompts, greedy, max_tokens {max_tokens}, "
        f"torch threads {threads or 'default'}"
    )
    for size in batch_sizes:
        spec = parse_model_spec(f"hf:{folder}?batch_size={size}&device=cpu")
        backend = create_backend(spec, threads=threads)
        loaded, results, elapsed = run_backend(backend, batch)
        tokens = sum(r.usage.get("completion_tokens", 0) for r in results)
        texts = [r.text for r in results]
        same = "" if baseline is None else f"  same text as batch 1: {texts == baseline}"
        if baseline is None:
            baseline = texts
        print(
            f"  batch {size:>3}: {count / elapsed:6.2f} requests/s  {tokens / elapsed:7.1f} tokens/s"
            f"  (load {loaded:.1f} s, {elapsed:.1f} s){same}"
        )


def bench_ray(count: int, max_tokens: int, workers: int, cpus: float) -> None:
    import ray

    from trustbench.engine.executors import ExecutorOptions
    from trustbench.engine.ray_executor import RayBackend

    spec = parse_model_spec("llamacpp")
    batch = requests(count, max_tokens)
    print(f"llama.cpp, embedded model: {count} prompts, greedy, max_tokens {max_tokens}")
    texts = {}
    for threads in sorted({1, os.cpu_count() or 1}):
        loaded, results, elapsed = run_backend(create_backend(spec, threads=threads), batch)
        texts[f"local {threads}"] = [r.text for r in results]
        print(
            f"  local, {threads} thread(s): {count / elapsed:5.2f} requests/s "
            f"({elapsed:.1f} s, load {loaded:.1f} s)"
        )
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    try:
        backend = RayBackend(spec, ExecutorOptions("ray", None, workers, cpus))
        loaded, results, elapsed = run_backend(backend, batch)
    finally:
        ray.shutdown()
    texts["ray"] = [r.text for r in results]
    print(
        f"  ray, {workers} actors x {cpus:g} CPU: {count / elapsed:5.2f} requests/s "
        f"({elapsed:.1f} s, actors started and loaded in {loaded:.1f} s)"
    )
    print(f"  same text everywhere: {len({tuple(t) for t in texts.values()}) == 1}")


def convert_embedded(target: Path) -> None:
    import torch
    import transformers

    from trustbench.models import default_gguf_path

    gguf = default_gguf_path()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    quantized = transformers.AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict())
    model.generation_config = quantized.generation_config
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hf", metavar="FOLDER", help="a transformers model folder")
    parser.add_argument("--batch-sizes", default="1,4,8,16")
    parser.add_argument("--threads", type=int, help="torch threads for --hf (default: torch's)")
    parser.add_argument("--ray", action="store_true", help="llama.cpp locally vs over Ray")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cpus-per-worker", type=float, default=1)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--convert-embedded", metavar="DIR", type=Path)
    args = parser.parse_args()
    if not (args.hf or args.ray or args.convert_embedded):
        parser.error("give --hf FOLDER, --ray or --convert-embedded DIR")
    print(f"machine: {machine()}")
    if args.convert_embedded:
        convert_embedded(args.convert_embedded)
    if args.hf:
        sizes = [int(size) for size in args.batch_sizes.split(",")]
        bench_hf(args.hf, args.count, args.max_tokens, sizes, args.threads)
    if args.ray:
        bench_ray(args.count, args.max_tokens, args.workers, args.cpus_per_worker)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
