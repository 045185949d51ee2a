import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    """Every test gets its own response store; nothing touches the user's cache."""
    store = tmp_path / "store.sqlite"
    monkeypatch.setenv("TRUSTBENCH_STORE", str(store))
    return store


@pytest.fixture(scope="session")
def judge_ctx():
    """The real offline judge resources (MiniLM embedder, toxicity scorer), built once per session."""
    from trustbench.evaluation import judge_context

    return judge_context()
