"""The command line: fast start, help, argument errors."""

from __future__ import annotations

import subprocess
import sys

from trustbench.cli import main

HEAVY = ("llama_cpp", "httpx", "rich", "numpy", "sqlite3")


def test_help_imports_no_heavy_module():
    code = (
        "import sys\n"
        "from trustbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "usage: trustbench" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "run" in capsys.readouterr().out


def test_unknown_task_is_a_usage_error(tmp_path, capsys):
    assert main(["run", "--tasks", "nonsense/*", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("trustbench: error: no task matches 'nonsense/*'")
    assert not (tmp_path / "r").exists()


def test_unknown_model_spec_is_a_usage_error(capsys):
    assert main(["run", "--model", "gpt5"]) == 2
    assert "unknown model spec" in capsys.readouterr().err


def test_bad_limit_is_a_usage_error(capsys):
    assert main(["run", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err


def test_missing_gguf_is_a_usage_error(tmp_path, capsys):
    assert main(["run", "--model", f"llamacpp:{tmp_path / 'none.gguf'}"]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_score_of_a_folder_that_is_no_run(tmp_path, capsys):
    assert main(["score", str(tmp_path)]) == 1
    assert "run.json: not found" in capsys.readouterr().err
