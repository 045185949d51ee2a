"""Where records come from: the built-in suite, an official ``dataset.zip``, or its extracted folder."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError
from .schemas import DIMENSIONS, schema_for

BUILTIN_ROOT = Path(__file__).parent / "builtin" / "dataset"


@dataclass(frozen=True)
class LoadedFile:
    """One validated data file: its records and the sha256 of its bytes."""

    path: str
    records: list[dict[str, Any]]
    sha256: str
    origin: str


def _relative_data_path(name: str) -> str | None:
    """Map an archive or folder member to ``<dimension>/<file>.json``, or None if it is not one."""
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    if len(parts) < 2 or "__MACOSX" in parts or parts[-1].startswith("._"):
        return None
    if parts[-2] not in DIMENSIONS or not parts[-1].endswith(".json"):
        return None
    return f"{parts[-2]}/{parts[-1]}"


class DataSource:
    """Reads and validates data files by their official relative path (``safety/misuse.json``)."""

    def __init__(self, label: str, files: dict[str, Path | str], archive: Path | None = None):
        self.label = label
        self._files = files
        self._archive = archive
        self._cache: dict[str, LoadedFile] = {}

    @property
    def is_builtin(self) -> bool:
        return self.label == "built-in"

    def has(self, path: str) -> bool:
        return path in self._files

    def paths(self) -> list[str]:
        return sorted(self._files)

    def _read_bytes(self, path: str) -> bytes:
        location = self._files[path]
        if self._archive is not None:
            with zipfile.ZipFile(self._archive) as archive:
                return archive.read(str(location))
        return Path(location).read_bytes()

    def display_name(self, path: str) -> str:
        location = self._files.get(path, path)
        if self._archive is not None:
            return f"{self._archive}:{location}"
        return str(location)

    def load(self, path: str) -> LoadedFile:
        """Parse and validate one file; the result is cached for the life of the source."""
        if path in self._cache:
            return self._cache[path]
        schema = schema_for(path)
        if path not in self._files:
            raise DataError(path, f"not found in {self.label}")
        shown = self.display_name(path)
        raw = self._read_bytes(path)
        try:
            records = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DataError(shown, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise DataError(
                shown, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        schema.validate(records, shown)
        loaded = LoadedFile(path, records, hashlib.sha256(raw).hexdigest(), self.label)
        self._cache[path] = loaded
        return loaded


def _folder_files(root: Path) -> dict[str, Path | str]:
    files: dict[str, Path | str] = {}
    for candidate in (root / "dataset", root):
        for dimension in DIMENSIONS:
            folder = candidate / dimension
            if folder.is_dir():
                for file in sorted(folder.glob("*.json")):
                    files.setdefault(f"{dimension}/{file.name}", file)
        if files:
            break
    return files


def _zip_source(path: Path) -> DataSource:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise DataError(str(path), "not a zip archive") from None
    files: dict[str, Path | str] = {}
    for name in names:
        relative = _relative_data_path(name)
        if relative is not None:
            files.setdefault(relative, name)
    if not files:
        raise DataError(str(path), "holds no <dimension>/<file>.json members")
    return DataSource(str(path), files, archive=path)


def open_data(path: str | Path | None) -> DataSource:
    """Open the built-in suite (``None``), an official ``dataset.zip``, or an extracted folder."""
    if path is None:
        return DataSource("built-in", _folder_files(BUILTIN_ROOT))
    location = Path(path).expanduser()
    if not location.exists():
        raise DataError(str(location), "no such file or folder")
    if location.is_file():
        return _zip_source(location)
    files = _folder_files(location)
    if files:
        return DataSource(str(location), files)
    if (location / "dataset.zip").is_file():
        return _zip_source(location / "dataset.zip")
    raise DataError(
        str(location), "holds neither dataset/<dimension>/<file>.json files nor a dataset.zip"
    )
