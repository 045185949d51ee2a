"""A tiny BERT sequence classifier built on the spot, for the judges that load local models."""

from __future__ import annotations

import transformers


def tiny_bert(id2label, bias):
    """A one-layer BERT and its tokenizer; the classifier ignores the text: its logits are ``bias``."""
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
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    return model, fast


def tiny_classifier(folder, id2label, bias):
    """A saved tiny classifier folder (config, weights, tokenizer)."""
    model, tokenizer = tiny_bert(id2label, bias)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
