"""augment_rows, ``trustbench data augment`` over JSONL, CSV and JSON files, and the built-in
files generated from seeds by the transforms."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from trustbench import api
from trustbench.cli import main
from trustbench.data import SCHEMAS, open_data
from trustbench.data.builtin_generate import (
    ADVINSTRUCTION_FILE,
    JAILBREAK_FILE,
    generate_builtin,
    load_seeds,
    render,
)
from trustbench.data.source import BUILTIN_ROOT
from trustbench.data.transforms import augment_rows, get_transform, list_transforms
from trustbench.data.transforms._jailbreak import drop_the
from trustbench.data.transforms._lexicon import LEET
from trustbench.errors import DataError, UsageError
from trustbench.judges.context import JudgeContext
from trustbench.scoring import score_task
from trustbench.suite import TASKS
from trustbench.suite.safety import attack

ROWS = [
    {"id": 1, "prompt": "Explain how a rainbow forms after a summer storm.", "lang": "en"},
    {"id": 2, "prompt": "Write a short poem about a cat waiting for breakfast.", "lang": "en"},
]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# augment_rows ----------------------------------------------------------------------------------


def test_augment_rows_yields_one_row_per_row_and_transform():
    out = augment_rows(ROWS, "prompt", ["url_encode", "3_typos"], seed=4)
    assert [(r["id"], r["transform"]) for r in out] == [
        (1, "url_encode"),
        (1, "3_typos"),
        (2, "url_encode"),
        (2, "3_typos"),
    ]
    for row in out:
        source = ROWS[row["id"] - 1]
        assert row["prompt_original"] == source["prompt"]
        assert row["prompt"] == get_transform(row["transform"]).apply(source["prompt"], 4)
        assert row["lang"] == "en"
    assert "transform" not in ROWS[0] and "prompt_original" not in ROWS[0]  # inputs untouched


def test_augmenting_a_variant_keeps_the_first_original_and_chains_names():
    once = augment_rows(ROWS[:1], "prompt", "5_typos", seed=1)
    twice = augment_rows(once, "prompt", "leetspeak")
    assert twice[0]["prompt_original"] == ROWS[0]["prompt"]
    assert twice[0]["transform"] == "5_typos+leetspeak"
    assert twice[0]["prompt"] == get_transform("leetspeak").apply(once[0]["prompt"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"prompt": "ok"}, {"text": "no prompt"}],
            "data.jsonl: record 1: field 'prompt': missing",
        ),
        ([{"prompt": None}], "record 0: field 'prompt': expected text, got null"),
        ([{"prompt": 7}], "record 0: field 'prompt': expected text, got int"),
        ([{"prompt": "  "}], "record 0: field 'prompt': empty text"),
        (["just a string"], "record 0: expected an object"),
    ],
)
def test_augment_rows_names_the_bad_row_and_field(rows, message):
    with pytest.raises(DataError, match=message):
        augment_rows(rows, "prompt", "cot", source="data.jsonl")


def test_augment_rows_rejects_unknown_transforms():
    with pytest.raises(UsageError, match="unknown transform 'rot13'"):
        augment_rows(ROWS, "prompt", "cot,rot13")


# the CLI over files ----------------------------------------------------------------------------


def test_cli_augments_a_jsonl_file(tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    argv = ["data", "augment", "--transform", "url_encode,4_typos", "--in", str(source)]
    argv += ["--field", "prompt", "--out", str(out), "--seed", "7"]
    assert main(argv) == 0
    assert "wrote 4 rows" in capsys.readouterr().out
    rows = read_jsonl(out)
    assert [r["transform"] for r in rows] == ["url_encode", "4_typos"] * 2
    assert unquote(rows[0]["prompt"].splitlines()[-1]) == ROWS[0]["prompt"]
    assert rows[1]["prompt"] == get_transform("4_typos").apply(ROWS[0]["prompt"], 7)
    first = out.read_bytes()
    assert main(argv) == 0
    assert out.read_bytes() == first  # same seed, same file
    assert main(argv[:-1] + ["8"]) == 0
    assert out.read_bytes() != first


def test_cli_augments_a_csv_file_into_csv_and_jsonl(tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "question"])
        writer.writeheader()
        writer.writerow({"id": "a", "question": "Can you take the bus to the old town?"})
        writer.writerow({"id": "b", "question": "Is the museum open on Mondays, by the way?"})
    out_csv, out_jsonl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    base = ["data", "augment", "--transform", "without_the", "--in", str(source)]
    assert main([*base, "--field", "question", "--out", str(out_csv)]) == 0
    assert main([*base, "--field", "question", "--out", str(out_jsonl)]) == 0
    with out_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == read_jsonl(out_jsonl)
    assert [r["id"] for r in rows] == ["a", "b"]
    assert set(rows[0]) == {"id", "question", "question_original", "transform"}
    for row in rows:
        assert row["transform"] == "without_the"
        assert drop_the(row["question_original"]) in row["question"]
        assert " the " not in row["question"].lower()


def test_cli_reads_and_writes_a_json_list(tmp_path):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(ROWS), encoding="utf-8")
    out = tmp_path / "out.json"
    argv = ["data", "augment", "--transform", "leetspeak", "--in", str(source)]
    assert main([*argv, "--field", "prompt", "--out", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) == 2
    decode = str.maketrans({digit: letter for letter, digit in LEET.items()})
    for row in rows:
        encoded = row["prompt"].splitlines()[-1]
        assert encoded.translate(decode).lower() == row["prompt_original"].lower()


def test_cli_lists_the_transforms(capsys):
    assert main(["data", "augment", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list_transforms())
    assert lines[0].startswith("fixed sentence (fixed_sentence)")
    assert "jailbreak" in lines[0]
    for transform, line in zip(list_transforms(), lines, strict=True):
        assert transform.kind in line and transform.description in line


def run_error(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def test_cli_errors_name_the_file_row_and_field(tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", [ROWS[0], {"id": 3, "text": "no prompt"}])
    out = tmp_path / "out.jsonl"
    base = ["data", "augment", "--in", str(source), "--field", "prompt", "--out", str(out)]

    code, err = run_error([*base, "--transform", "cot"], capsys)
    assert code == 2
    assert f"{source}: record 1: field 'prompt': missing" in err
    assert not out.exists()  # nothing half-written

    code, err = run_error([*base, "--transform", "rot13"], capsys)
    assert code == 2 and "unknown transform 'rot13'" in err and "url_encode" in err

    code, err = run_error(["data", "augment", "--transform", "cot"], capsys)
    assert code == 2 and "--in, --field, --out" in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rows.txt", "prompt\n", "unknown input file type '.txt'"),
        ("empty.jsonl", "", "no rows"),
        ("empty.csv", "", "no rows"),
        ("bad.jsonl", '{"prompt": "a"}\n{oops\n', "line 2: not valid JSON"),
        ("object.json", '{"prompt": "a"}', "expected a JSON list of objects"),
    ],
)
def test_cli_rejects_bad_input_files(tmp_path, capsys, name, content, message):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    argv = ["data", "augment", "--transform", "cot", "--in", str(source), "--field", "prompt"]
    code, err = run_error([*argv, "--out", str(tmp_path / "out.jsonl")], capsys)
    assert code == 2
    assert str(source) in err and message in err


def test_cli_rejects_a_bad_output_path(tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    argv = ["data", "augment", "--transform", "cot", "--in", str(source), "--field", "prompt"]
    code, err = run_error([*argv, "--out", str(tmp_path / "out.parquet")], capsys)
    assert code == 2 and "unknown output file type '.parquet'" in err
    code, err = run_error([*argv, "--out", str(tmp_path / "missing" / "out.jsonl")], capsys)
    assert code == 2 and "does not exist" in err


def test_api_functions_match_the_cli(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    assert api.augment_file(source, out, "prompt", ["cot", "html"], seed=2) == 4
    assert [r["transform"] for r in read_jsonl(out)] == ["cot", "html_others"] * 2
    rows = api.list_transforms("glue")
    assert [r["name"] for r in rows] == [t.name for t in list_transforms("glue")]
    assert rows[0].keys() == {"name", "slug", "kind", "description", "aliases"}


def test_help_does_not_import_the_transforms():
    code = (
        "import sys, trustbench.cli as c; c.build_parser(); "
        "print('trustbench.data.transforms' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# built-in generated files ----------------------------------------------------------------------


def committed(path: str) -> str:
    return (BUILTIN_ROOT / path).read_text(encoding="utf-8")


def test_committed_builtin_files_equal_a_fresh_generation():
    generated = generate_builtin()
    assert set(generated) == {JAILBREAK_FILE, ADVINSTRUCTION_FILE}
    for path, records in generated.items():
        assert committed(path) == render(records), f"run tools/build_builtin_data.py ({path})"


def test_builtin_generated_files_load_and_validate():
    source = open_data(None)
    for path in (JAILBREAK_FILE, ADVINSTRUCTION_FILE):
        records = source.load(path).records  # validates against the schema
        SCHEMAS[path].validate(records)


def test_seed_files_hold_42_requests_and_5_topical_instructions():
    requests = load_seeds("jailbreak_requests", ("request",))
    assert len(requests) == 42 == len({r["request"] for r in requests})
    instructions = load_seeds("advinstruction_instructions", ("instruction", "topic"))
    assert len(instructions) == 5
    assert len({i["topic"] for i in instructions}) == 5


def carries(prompt: str, request: str, method: str) -> bool:
    if method == "url_encode":
        return unquote(prompt.splitlines()[-1]) == request
    if method == "leetspeak":
        decode = str.maketrans({digit: letter for letter, digit in LEET.items()})
        return prompt.splitlines()[-1].translate(decode).lower() == request.lower()
    if method == "without_the":
        return drop_the(request) in prompt
    return request in prompt


def test_builtin_jailbreak_wraps_request_i_with_method_i_mod_14():
    records = json.loads(committed(JAILBREAK_FILE))
    requests = [r["request"] for r in load_seeds("jailbreak_requests", ("request",))]
    methods = list_transforms("jailbreak")
    assert len(records) == 42
    for i, (record, request) in enumerate(zip(records, requests, strict=True)):
        assert set(record) == {"prompt", "label", "source"}
        assert record["label"] == [methods[i % 14].name]
        assert record["source"] == "trustbench"
        assert carries(record["prompt"], request, methods[i % 14].name), i
    per_attack = Counter(attack(record) for record in records)
    assert per_attack == {method.slug: 3 for method in methods}


def test_builtin_advinstruction_has_twelve_variants_per_instruction():
    records = json.loads(committed(ADVINSTRUCTION_FILE))
    instructions = load_seeds("advinstruction_instructions", ("instruction", "topic"))
    types = ["original"] + [t.name for t in list_transforms("instruction")]
    assert len(records) == 12 * len(instructions)
    for index, seed in enumerate(instructions):
        group = [r for r in records if r["index"] == index]
        assert [r["type"] for r in group] == types
        assert {r["topic"] for r in group} == {seed["topic"]}
        assert group[0]["prompt"] == seed["instruction"]
        assert len({r["prompt"] for r in group}) == 12  # every perturbation changed something


class OneHotEmbedder:
    """A response "answer <k>" becomes the k-th unit vector: equal answers have cosine 1,
    different ones 0."""

    def embed(self, texts):
        vectors = np.zeros((len(texts), 8))
        for row, text in enumerate(texts):
            vectors[row, int(text.split()[-1])] = 1.0
        return vectors


def test_suite_pairs_the_builtin_advinstruction_variants_by_index():
    from task_scoring import item_results

    task = TASKS["robustness/advinstruction"]
    records = open_data(None).load(ADVINSTRUCTION_FILE).records
    items = task.items(records)
    responses = [f"answer {item.record['index']}" for item in items]
    results = item_results(task, zip((i.record for i in items), responses, strict=True))
    result = score_task(task, results, JudgeContext({"embedder": OneHotEmbedder}))
    metrics = {name: value.value for name, value in result.metrics.items()}
    assert metrics["similarity"] == pytest.approx(1.0)  # each variant met its own original
    for transform in list_transforms("instruction"):
        assert metrics[f"similarity_{transform.name}"] == pytest.approx(1.0)
