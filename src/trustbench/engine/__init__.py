"""Engine: the response store, generation with bounded concurrency, progress."""

from .runner import Generator, Outcome
from .store import Store, default_store_path

__all__ = ["Generator", "Outcome", "Store", "default_store_path"]
