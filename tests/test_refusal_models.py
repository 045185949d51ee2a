"""The model-backed refusal judges: a local Hugging Face classifier folder (hf:<folder>)."""

from __future__ import annotations

import pytest

from trustbench.judges.refusal import COMPLIANCE, REFUSAL
from trustbench.judges.refusal_models import HFRefusalJudge

transformers = pytest.importorskip("transformers")


def tiny_classifier(folder, id2label, bias):
    """A one-layer BERT whose classifier ignores the text and always favours ``bias``'s argmax."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "sorry": 4, "sure": 5}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=8,
        max_position_embeddings=64,
        num_labels=2,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


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
