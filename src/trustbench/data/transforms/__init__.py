"""Transforms that make adversarial variants of a text: the 14 jailbreak wrappers and the 11
AdvInstruction perturbations of TrustLLM, and AdvGLUE-style word and character edits.

    from trustbench.data.transforms import get_transform

    get_transform("url_encode").apply("Say hi")  # the request percent-encoded, in a wrapper
    get_transform("3_typos").apply("Explain how tides work.", seed=1)

Every transform has a ``name``, a ``kind`` (jailbreak, instruction, glue), a one-line
``description`` and ``apply(text, seed=0)``, which is pure: same text and seed, same output.
"""

from ._augment import augment_file, augment_rows
from ._base import Transform
from ._registry import get_transform, list_transforms

__all__ = ["Transform", "augment_file", "augment_rows", "get_transform", "list_transforms"]
