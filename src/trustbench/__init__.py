"""trustbench: how far can a large language model be trusted?

``trustbench.evaluate(model=..., tasks=..., data=..., limit=...)`` runs the TrustLLM tasks on a
model and returns the results; ``trustbench.score_run(run_dir)`` re-judges a stored run;
``trustbench.load_run(run_dir)`` gives a run's items and metrics as pandas DataFrames and
``trustbench.write_report(run_dir)`` its HTML report.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

_API = {
    "estimate_run",
    "evaluate",
    "score_run",
    "list_tasks",
    "validate_data",
    "Results",
    "load_run",
    "write_report",
}


def __getattr__(name: str) -> Any:
    # The API loads on first use, so that importing trustbench (and `trustbench --help`) is fast.
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'trustbench' has no attribute {name!r}")


__all__ = [
    "Results",
    "__version__",
    "estimate_run",
    "evaluate",
    "list_tasks",
    "load_run",
    "score_run",
    "validate_data",
    "write_report",
]
