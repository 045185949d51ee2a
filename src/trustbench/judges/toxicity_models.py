"""Toxicity from a local classifier: a detoxify checkpoint or a transformers model folder.

Only local files are read. A detoxify checkpoint (``*.ckpt``: the training config and a state
dict) needs the matching transformers config and tokenizer files beside it, since the checkpoint
names its architecture but does not hold it. The checkpoint is loaded with ``weights_only`` so a
crafted file cannot run code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .text import is_blank

# detoxify's class names differ between its checkpoints; these are its own renamings.
_DETOXIFY_NAMES = {"toxic": "toxicity", "identity_hate": "identity_attack"}


def _toxic_index(names: Sequence[str]) -> int:
    """The column of overall toxicity: ``toxicity``/``toxic`` first, else a name with "toxic"."""
    lowered = [name.lower() for name in names]
    for wanted in ("toxicity", "toxic"):
        if wanted in lowered:
            return lowered.index(wanted)
    for i, name in enumerate(lowered):
        if "toxic" in name and not name.startswith(("non", "not", "severe")):
            return i
    raise ModelError(f"the classifier has no toxicity class (classes: {', '.join(names)})")


def _checkpoint_in(path: Path) -> tuple[Path, Path | None]:
    """(folder with config and tokenizer, checkpoint file or None)."""
    if path.is_file() and path.suffix == ".ckpt":
        return path.parent, path
    if not path.is_dir():
        raise ModelError(f"{path}: no such folder or .ckpt file")
    checkpoints = sorted(path.glob("*.ckpt"))
    if len(checkpoints) > 1:
        names = ", ".join(c.name for c in checkpoints)
        raise ModelError(f"{path}: several checkpoints ({names}); name one")
    return path, checkpoints[0] if checkpoints else None


class LocalToxicityClassifier:
    """Scores texts with a local classifier; the score is the toxicity class's probability."""

    version = "1"

    def __init__(self, path: Path, batch_size: int = 32, prefix: str = "detoxify"):
        folder, checkpoint = _checkpoint_in(Path(path).expanduser())
        if not (folder / "config.json").is_file():
            raise ModelError(
                f"{folder}: no config.json; a local toxicity classifier needs the transformers "
                "config and tokenizer files (beside the .ckpt for a detoxify checkpoint)"
            )
        try:
            import torch  # noqa: F401
            import transformers
        except ImportError as exc:
            raise ModelError(f"a local toxicity classifier needs transformers ({exc})") from None
        self._transformers = transformers
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            str(folder), local_files_only=True
        )
        if checkpoint is not None:
            self.model, self.classes = self._load_detoxify(folder, checkpoint)
            self.multi_label = True
        else:
            self.model = transformers.AutoModelForSequenceClassification.from_pretrained(
                str(folder), local_files_only=True
            )
            config = self.model.config
            self.classes = [config.id2label[i] for i in range(config.num_labels)]
            self.multi_label = config.problem_type == "multi_label_classification"
        self.model.eval()
        self.column = _toxic_index(self.classes)
        self.batch_size = batch_size
        self.name = f"{prefix}:{(checkpoint or folder).name}"

    def _load_detoxify(self, folder: Path, checkpoint: Path) -> tuple[Any, list[str]]:
        import pickle

        import torch

        try:
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, OSError) as exc:
            raise ModelError(f"{checkpoint}: not a readable checkpoint ({exc})") from None
        try:
            classes = list(loaded["config"]["dataset"]["args"]["classes"])
            arch = loaded["config"]["arch"]["args"]
            state = loaded["state_dict"]
        except (KeyError, TypeError):
            raise ModelError(
                f"{checkpoint}: not a detoxify checkpoint (needs config.dataset.args.classes, "
                "config.arch.args and state_dict)"
            ) from None
        classes = [_DETOXIFY_NAMES.get(name, name) for name in classes]
        model_class = getattr(self._transformers, arch.get("model_name", ""), None)
        if model_class is None:
            raise ModelError(f"{checkpoint}: unknown architecture {arch.get('model_name')!r}")
        config = self._transformers.AutoConfig.from_pretrained(
            str(folder), num_labels=len(classes), local_files_only=True
        )
        model = model_class(config)
        if state and all(key.startswith("model.") for key in state):
            state = {key[len("model.") :]: value for key, value in state.items()}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise ModelError(
                f"{checkpoint}: weights do not fit {folder}/config.json ({first})"
            ) from None
        return model, classes

    def score(self, texts: Sequence[str]) -> list[float | None]:
        import torch

        scores: list[float | None] = [None] * len(texts)
        asked = [i for i, text in enumerate(texts) if not is_blank(text)]
        for start in range(0, len(asked), self.batch_size):
            batch = asked[start : start + self.batch_size]
            inputs = self.tokenizer(
                [texts[i] for i in batch], return_tensors="pt", truncation=True, padding=True
            )
            with torch.no_grad():
                logits = self.model(**inputs).logits
            probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
            for i, p in zip(batch, probs[:, self.column].tolist(), strict=True):
                scores[i] = round(float(p), 6)
        return scores
