"""What a run would cost before it is started: requests, tokens, money and time (``--dry-run``).

It selects the same items as ``trustbench run``, keys them the same way, looks them up in the
store (stored ones cost nothing), counts the prompt tokens of the rest, estimates their completion
tokens, and, given prices and a throughput (or a throughput measured from the store), the cost and
the time. It calls no model, opens no connection and writes no run folder.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import Store, default_store_path
from .errors import TrustbenchError, UsageError
from .evaluation import resolve_sampling, resolve_tasks, task_items
from .models import parse_model_spec
from .models.tokens import estimate_tokens, token_counter
from .suite.user_tasks import load_task_files
from .types import request_key

# Responses stored further apart than this belong to different sittings; the gap is not counted.
SITTING_GAP_S = 60.0
MIN_MEASURED = 10  # fewer stored responses than this measure no throughput

_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(tok/s|tokens/s|req/s|requests/s)?\s*$")


@dataclass(frozen=True)
class Throughput:
    """Requests or completion tokens per second, given by the user or measured from the store."""

    requests_per_s: float | None
    tokens_per_s: float | None
    source: str  # "given" | "measured"
    basis: str

    def seconds(self, requests: int, completion_tokens: int) -> float:
        if self.tokens_per_s:
            return completion_tokens / self.tokens_per_s
        assert self.requests_per_s
        return requests / self.requests_per_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests_per_s": self.requests_per_s,
            "tokens_per_s": self.tokens_per_s,
            "source": self.source,
            "basis": self.basis,
        }


def parse_throughput(text: str) -> Throughput:
    """``120`` or ``120tok/s`` (completion tokens per second) or ``4req/s`` (requests per second)."""
    match = _RATE.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise UsageError(
            f"--throughput must be a positive rate such as 120 or 120tok/s (completion tokens per "
            f"second) or 4req/s (requests per second), not {text!r}"
        )
    value, unit = float(match.group(1)), match.group(2) or "tok/s"
    if unit.startswith("req"):
        return Throughput(value, None, "given", f"{value:g} requests/s (given)")
    return Throughput(None, value, "given", f"{value:g} completion tokens/s (given)")


def measured_throughput(arrivals: list[tuple[float, dict[str, Any]]]) -> Throughput | None:
    """The rate at which a model's responses arrived in earlier runs (any concurrency they had).

    Responses are grouped into sittings (split where no response came for a minute); within each,
    every response after the first counts over the time since the first.
    """
    requests = tokens = 0
    span = 0.0
    with_usage = True
    start = previous = None
    for created, usage in arrivals:
        if previous is None or created - previous > SITTING_GAP_S:
            if start is not None and previous is not None:
                span += previous - start
            start = created
        else:
            requests += 1
            completion = usage.get("completion_tokens")
            if isinstance(completion, int):
                tokens += completion
            else:
                with_usage = False
        previous = created
    if start is not None and previous is not None:
        span += previous - start
    if requests + 1 < MIN_MEASURED or span <= 0:
        return None
    basis = f"measured from {len(arrivals)} stored responses of this model"
    tokens_per_s = tokens / span if with_usage and tokens else None
    return Throughput(requests / span, tokens_per_s, "measured", basis)


def _check_prices(price_in: float | None, price_out: float | None) -> None:
    for name, price in (("--price-in", price_in), ("--price-out", price_out)):
        if price is not None and price < 0:
            raise UsageError(f"{name} must be at least 0 (USD per million tokens)")


def _cost(prompt: int, completion: int, price_in: float | None, price_out: float | None) -> Any:
    if price_in is None and price_out is None:
        return None
    return round(prompt * (price_in or 0.0) / 1e6 + completion * (price_out or 0.0) / 1e6, 6)


def estimate_run(
    model: str = "llamacpp",
    tasks: str | list[str] | None = None,
    data: str | Path | None = None,
    limit: int | None = None,
    *,
    base_url: str | None = None,
    api_key_env: str | None = None,
    concurrency: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float = 1.0,
    seed: int = 0,
    store: str | Path | None = None,
    price_in: float | None = None,
    price_out: float | None = None,
    throughput: str | None = None,
    selection: str | None = None,
    task_files: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """Per task and in total: requests (stored ones apart), prompt tokens, completion tokens
    (estimated), cost and time; see ``trustbench run --dry-run``. No model is called. The tasks,
    items and sampling are those the same ``evaluate`` call would use."""
    task_files = list(task_files)
    builtin_tasks = tasks is not None or not task_files
    selection, sampling = resolve_sampling(
        data, limit, selection, temperature, max_tokens, top_p, seed, builtin_tasks
    )
    if concurrency is not None and concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    _check_prices(price_in, price_out)
    given = parse_throughput(throughput) if throughput is not None else None
    spec = parse_model_spec(model, base_url, api_key_env, concurrency)
    source, chosen, skipped, files = resolve_tasks(data, tasks, load_task_files(task_files))
    counter = token_counter(spec)
    store_path = Path(store) if store else default_store_path()
    response_store = None
    try:
        if store_path.is_file():  # never create one
            response_store = Store(store_path)
        rows = {}
        planned: set[str] = set()  # keys an earlier task sends: one request serves both
        for task in chosen:
            params = sampling.for_task(task)
            items = task_items(task, files, selection, limit)
            keys = [request_key(spec.model_id, params, item.messages) for item in items]
            keyed = dict(zip(keys, (item.messages for item in items), strict=True))
            hits = response_store.get_many(keyed) if response_store is not None else {}
            shared = [key for key in keyed if key not in hits and key in planned]
            to_send = [
                messages
                for key, messages in keyed.items()
                if key not in hits and key not in planned
            ]
            planned.update(keyed)
            prompt_tokens = sum(counter.count(messages) for messages in to_send)
            completion_max = params.max_tokens * len(to_send)
            lengths = [
                hit.usage["completion_tokens"]
                if isinstance(hit.usage.get("completion_tokens"), int)
                else estimate_tokens(hit.response)
                for hit in hits.values()
            ]
            if lengths:
                mean = sum(lengths) / len(lengths)
                completion = min(completion_max, round(mean * len(to_send)))
                basis = f"mean of {len(lengths)} stored responses of this task ({mean:.0f} tokens)"
            else:
                completion, basis = completion_max, "max_tokens (upper bound)"
            rows[task.id] = {
                "items": len(items),
                "stored": sum(1 for key in keys if key in hits),
                "shared": len(shared),
                "requests": len(to_send),
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion,
                "completion_tokens_max": completion_max,
                "completion_basis": basis,
                "max_tokens": params.max_tokens,
            }
        measured = None
        if given is None and response_store is not None:
            measured = measured_throughput(response_store.arrivals(spec.model_id))
    except sqlite3.DatabaseError as exc:
        raise TrustbenchError(f"{store_path}: cannot read the response store ({exc})") from None
    finally:
        if response_store is not None:
            response_store.close()
    rate = given or measured
    for row in rows.values():
        row["cost_usd"] = _cost(row["prompt_tokens"], row["completion_tokens"], price_in, price_out)
        row["cost_usd_max"] = _cost(
            row["prompt_tokens"], row["completion_tokens_max"], price_in, price_out
        )
        row["seconds"] = (
            round(rate.seconds(row["requests"], row["completion_tokens"]), 1) if rate else None
        )
    total: dict[str, Any] = {
        name: sum(row[name] for row in rows.values())
        for name in (
            "items", "stored", "shared", "requests", "prompt_tokens", "completion_tokens",
            "completion_tokens_max",
        )
    }  # fmt: skip
    total["cost_usd"] = _cost(
        total["prompt_tokens"], total["completion_tokens"], price_in, price_out
    )
    total["cost_usd_max"] = _cost(
        total["prompt_tokens"], total["completion_tokens_max"], price_in, price_out
    )
    total["seconds"] = (
        round(sum(row["seconds"] for row in rows.values()), 1) if rate is not None else None
    )
    return {
        "dry_run": True,
        "model": spec.describe(),
        "data_source": source.label,
        "store": str(store_path),
        "limit": limit,
        "selection": "limit" if limit is not None else selection,
        "prompt_tokens_method": counter.method,
        "prompt_tokens_exact": counter.exact,
        "prices_usd_per_million": (
            {"in": price_in, "out": price_out}
            if price_in is not None or price_out is not None
            else None
        ),
        "throughput": rate.to_dict() if rate else None,
        "tasks": rows,
        "total": total,
        "skipped_tasks": {t.id: f"{source.label} has no {t.file}" for t in skipped},
    }
