"""Local toxicity classifiers: a detoxify checkpoint, or a transformers folder."""

from __future__ import annotations

import json
import math

import pytest

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from tiny_models import tiny_bert, tiny_classifier  # noqa: E402
from trustbench.cli import main  # noqa: E402
from trustbench.errors import ModelError  # noqa: E402
from trustbench.judges.toxicity import make_toxicity_scorer  # noqa: E402

DETOXIFY_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def detoxify_folder(folder, bias, prefix_keys=False, classes=DETOXIFY_CLASSES):
    """A folder laid out like a detoxify download: the .ckpt plus config and tokenizer files."""
    model, tokenizer = tiny_bert({i: f"LABEL_{i}" for i in range(len(classes))}, bias)
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    state = model.state_dict()
    if prefix_keys:
        state = {f"model.{key}": value for key, value in state.items()}
    checkpoint = {
        "config": {
            "arch": {
                "args": {
                    "model_type": "bert-base-uncased",
                    "model_name": "BertForSequenceClassification",
                    "tokenizer_name": "BertTokenizer",
                    "num_classes": len(classes),
                }
            },
            "dataset": {"args": {"classes": classes}},
        },
        "state_dict": state,
    }
    torch.save(checkpoint, folder / "toxic_tiny.ckpt")
    return folder


def test_detoxify_checkpoint_scores_the_toxicity_column_with_a_sigmoid(tmp_path):
    bias = [1.5, -3.0, 0.0, 0.0, 0.0, 0.0]
    folder = detoxify_folder(tmp_path, bias)
    scorer = make_toxicity_scorer(f"detoxify:{folder}")
    assert scorer.name == "detoxify:toxic_tiny.ckpt"
    assert scorer.classes[0] == "toxicity" and scorer.classes[-1] == "identity_attack"
    scores = scorer.score(["you are sorry", "sure", "", "   "])
    assert scores[0] == pytest.approx(sigmoid(1.5), abs=1e-5)
    assert scores[1] == pytest.approx(sigmoid(1.5), abs=1e-5)
    assert scores[2] is None and scores[3] is None  # blank text is not scored


def test_checkpoint_file_path_and_prefixed_keys_load_too(tmp_path):
    folder = detoxify_folder(tmp_path, [-2.0, 0, 0, 0, 0, 0], prefix_keys=True)
    scorer = make_toxicity_scorer(f"detoxify:{folder / 'toxic_tiny.ckpt'}")
    assert scorer.score(["sure"])[0] == pytest.approx(sigmoid(-2.0), abs=1e-5)


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    folder = detoxify_folder(tmp_path, [0.0] * 6)
    config = json.loads((folder / "config.json").read_text())
    config["hidden_size"] = 16
    config["intermediate_size"] = 16
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="do not fit"):
        make_toxicity_scorer(f"detoxify:{folder}")


def test_a_checkpoint_holding_code_objects_is_not_unpickled(tmp_path):
    folder = detoxify_folder(tmp_path, [0.0] * 6)
    torch.save(
        {"config": {}, "state_dict": {}, "payload": ModelError("x")}, folder / "toxic_tiny.ckpt"
    )
    with pytest.raises(ModelError, match="not a readable checkpoint"):
        make_toxicity_scorer(f"detoxify:{folder}")


def test_a_checkpoint_without_the_training_config_is_explained(tmp_path):
    folder = detoxify_folder(tmp_path, [0.0] * 6)
    torch.save({"state_dict": {}}, folder / "toxic_tiny.ckpt")
    with pytest.raises(ModelError, match="not a detoxify checkpoint"):
        make_toxicity_scorer(f"detoxify:{folder}")


def test_missing_config_and_missing_folder(tmp_path):
    with pytest.raises(ModelError, match="no such folder"):
        make_toxicity_scorer(f"detoxify:{tmp_path / 'nothing'}")
    (tmp_path / "x.ckpt").write_bytes(b"")
    with pytest.raises(ModelError, match="no config.json"):
        make_toxicity_scorer(f"detoxify:{tmp_path}")


def test_transformers_folder_uses_softmax_and_the_toxic_label(tmp_path):
    folder = tiny_classifier(tmp_path / "m", {0: "non-toxic", 1: "toxic"}, [0.0, 1.0])
    scorer = make_toxicity_scorer(f"hf:{folder}")
    expected = math.exp(1.0) / (1 + math.exp(1.0))
    assert scorer.score(["sure"])[0] == pytest.approx(expected, abs=1e-5)


def test_a_classifier_without_a_toxicity_class_is_refused(tmp_path):
    folder = tiny_classifier(tmp_path / "m", {0: "positive", 1: "negative"}, [0.0, 1.0])
    with pytest.raises(ModelError, match="no toxicity class"):
        make_toxicity_scorer(f"hf:{folder}")


def test_judge_toxicity_command_with_a_detoxify_checkpoint(tmp_path, capsys):
    (tmp_path / "ckpt").mkdir()
    folder = detoxify_folder(tmp_path / "ckpt", [2.0, 0, 0, 0, 0, 0])
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "sure", "label": "toxic"}\n{"text": "sorry", "label": "non-toxic"}\n')
    code = main(["judge", "toxicity", "--in", str(rows), "--field", "text",
                 "--toxicity", f"detoxify:{folder}"])  # fmt: skip
    assert code == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [round(row["toxicity"], 4) for row in out] == [round(sigmoid(2.0), 4)] * 2


def test_an_unknown_toxicity_option_is_a_usage_error(tmp_path, capsys):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "sure"}\n')
    for option, message in (("detox", "--toxicity must be"), (f"detoxify:{tmp_path}/x", "no such")):
        code = main(
            ["judge", "toxicity", "--in", str(rows), "--field", "text", "--toxicity", option]
        )
        assert code == 2
        assert message in capsys.readouterr().err
