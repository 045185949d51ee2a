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


CHAT_WORDS = " ".join(
    [
        "hello world the a cat dog sat on mat is red blue green what why how yes no sure sorry",
        "tell me about you i can not help with that please answer question",
    ]
).split()
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_chat_lm(folder, seed=0, eos_word=None, chat_template=CHAT_TEMPLATE, hidden=32, heads=4):
    """A saved two-layer Llama with random weights and a word-level tokenizer with a chat template.

    ``eos_word`` makes an ordinary word the end-of-sequence token (so a test can choose where
    generation stops); otherwise ``<eos>`` is, which the random model rarely produces.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    special = ["<pad>", "<eos>", "<unk>", "<|user|>", "<|assistant|>", "<|system|>"]
    vocab = {token: i for i, token in enumerate(special + CHAT_WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="<eos>",
        additional_special_tokens=["<|user|>", "<|assistant|>", "<|system|>"],
    )
    if chat_template is not None:
        fast.chat_template = chat_template
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=256,
        pad_token_id=0,
        eos_token_id=vocab[eos_word] if eos_word else 1,
        bos_token_id=None,
    )
    model = transformers.LlamaForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder
