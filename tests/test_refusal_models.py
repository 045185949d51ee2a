"""The model-backed refusal judges: a local Hugging Face classifier folder (hf:<folder>)."""

from __future__ import annotations

import pytest

from tiny_models import tiny_classifier
from trustbench.judges.refusal import COMPLIANCE, REFUSAL
from trustbench.judges.refusal_models import HFRefusalJudge

transformers = pytest.importorskip("transformers")


def test_label_0_is_refusal_as_in_the_reference(tmp_path):
    folder = tiny_classifier(tmp_path / "m", {0: "LABEL_0", 1: "LABEL_1"}, [2.0, 0.0])
    judge = HFRefusalJudge(folder)
    verdicts = judge.judge_many(["sorry", "sure thing", "", None])
    assert [v.label for v in verdicts] == [REFUSAL, REFUSAL, None, None]
    assert verdicts[0].score == pytest.approx(0.8808, abs=1e-3)
    assert verdicts[0].layer == "classifier" and judge.name == "hf:m"


def test_a_label_named_refusal_wins(tmp_path):
    folder = tiny_classifier(tmp_path / "m", {0: "compliance", 1: "refusal"}, [2.0, 0.0])
    assert HFRefusalJudge(folder).judge("sorry").label == COMPLIANCE


def test_a_folder_without_a_model_is_an_error(tmp_path):
    from trustbench.errors import ModelError

    with pytest.raises(ModelError, match="config.json"):
        HFRefusalJudge(tmp_path)
