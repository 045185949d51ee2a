"""Every transform under its stable name; names are looked up in slug form, so the official
label ("Refusal sentence prohibition"), its slug ("refusal_sentence_prohibition") and any alias
("html" for "html_others") all find the same transform."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from ...errors import UsageError
from ._base import KINDS, Transform, slug
from ._glue import GLUE_PERTURBATIONS
from ._instruction import INSTRUCTION_PERTURBATIONS
from ._jailbreak import JAILBREAKS

TRANSFORMS: tuple[Transform, ...] = JAILBREAKS + INSTRUCTION_PERTURBATIONS + GLUE_PERTURBATIONS


def _index(transforms: Iterable[Transform]) -> Mapping[str, Transform]:
    index: dict[str, Transform] = {}
    for transform in transforms:
        for key in {slug(transform.name), *(slug(a) for a in transform.aliases)}:
            if key in index:
                raise ValueError(f"transform name {key!r} is taken twice")
            index[key] = transform
    return MappingProxyType(index)


REGISTRY: Mapping[str, Transform] = _index(TRANSFORMS)


def _valid_names() -> str:
    return ", ".join(t.name if t.name == t.slug else f"{t.name!r} ({t.slug})" for t in TRANSFORMS)


def get_transform(name: str) -> Transform:
    """The transform called ``name`` (official name, slug or alias, any case)."""
    found = REGISTRY.get(slug(name))
    if found is None:
        raise UsageError(f"unknown transform {name!r}; valid names: {_valid_names()}")
    return found


def resolve(names: str | Transform | Sequence[str | Transform]) -> list[Transform]:
    """Transforms from a comma-separated string, a transform, or a list of either."""
    if isinstance(names, Transform):
        return [names]
    if isinstance(names, str):
        names = names.split(",")
    chosen = [
        n if isinstance(n, Transform) else get_transform(n)
        for n in names
        if isinstance(n, Transform) or n.strip()
    ]
    if not chosen:
        raise UsageError(f"no transform named; valid names: {_valid_names()}")
    return list(dict.fromkeys(chosen))


def list_transforms(kind: str | None = None) -> list[Transform]:
    """All transforms in registry order, or those of one kind (jailbreak, instruction, glue)."""
    if kind is None:
        return list(TRANSFORMS)
    if kind not in KINDS:
        raise UsageError(f"unknown transform kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    return [t for t in TRANSFORMS if t.kind == kind]
