"""What batch judges may need beyond the text: shared, lazily built resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class JudgeContext:
    """Resources for judges, each built on first use (so a run that needs none loads none).

    ``factories`` maps a resource name (``"embedder"``, ``"toxicity"``, ``"llm"``) to a
    function that builds it.
    """

    factories: dict[str, Callable[[], Any]] = field(default_factory=dict)
    _built: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name not in self._built:
            if name not in self.factories:
                raise KeyError(f"no judge resource named {name!r}")
            self._built[name] = self.factories[name]()
        return self._built[name]

    def has(self, name: str) -> bool:
        return name in self.factories

    def built(self) -> dict[str, Any]:
        """The resources some judge actually used."""
        return dict(self._built)
