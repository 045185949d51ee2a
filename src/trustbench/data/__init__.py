"""Data: the official TrustLLM layout (zip or folder), per-file schemas, the built-in suite."""

from .schemas import DIMENSIONS, SCHEMAS, FileSchema, schema_for
from .source import DataSource, LoadedFile, open_data

__all__ = [
    "DIMENSIONS",
    "SCHEMAS",
    "DataSource",
    "FileSchema",
    "LoadedFile",
    "open_data",
    "schema_for",
]
