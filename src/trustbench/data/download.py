"""Fetch the official TrustLLM ``dataset.zip``, check its sha256, and extract it safely."""

from __future__ import annotations

import hashlib
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from ..errors import DataError, TrustbenchError

OFFICIAL_URL = "https://github.com/HowieHwong/TrustLLM/raw/main/dataset/dataset.zip"
OFFICIAL_SHA256 = "0433f79bc8dc8a5869af253d4a70067eda82f5651b89b7235a0220a8bf775317"


class DownloadError(TrustbenchError):
    exit_code = 1


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_extract(archive_path: Path, target: Path) -> list[Path]:
    """Extract every member under ``target``; refuse the whole archive if any member would escape it.

    Absolute paths, ``..`` components and symbolic links are rejected before anything is written.
    """
    target = target.resolve()
    with zipfile.ZipFile(archive_path) as archive:
        members = archive.infolist()
        for member in members:
            name = member.filename
            destination = (target / name).resolve()
            is_link = stat.S_ISLNK(member.external_attr >> 16)
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or is_link:
                raise DataError(str(archive_path), f"member {name!r} would land outside {target}")
            if destination != target and target not in destination.parents:
                raise DataError(str(archive_path), f"member {name!r} would land outside {target}")
        written = []
        for member in members:
            written.append(Path(archive.extract(member, target)))
    return written


def download_dataset(
    target: Path, url: str = OFFICIAL_URL, sha256: str = OFFICIAL_SHA256, timeout: float = 15.0
) -> Path:
    """Put a verified ``dataset.zip`` in ``target`` and extract it there; return the zip's path.

    A zip already in ``target`` with the right checksum is used as it is, so a file placed by hand
    needs no network.
    """
    target.mkdir(parents=True, exist_ok=True)
    zip_path = target / "dataset.zip"
    if zip_path.is_file() and sha256_of(zip_path) == sha256:
        safe_extract(zip_path, target)
        return zip_path
    hand_hint = (
        f"download {url} by hand and put it at {zip_path} "
        f"(or pass it directly: trustbench run --data /path/to/dataset.zip)"
    )
    with tempfile.NamedTemporaryFile(dir=target, suffix=".part", delete=False) as part:
        part_path = Path(part.name)
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "trustbench"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                shutil.copyfileobj(response, part)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            part.close()
            part_path.unlink(missing_ok=True)
            reason = getattr(exc, "reason", exc)
            raise DownloadError(
                f"could not download the data set ({reason}); {hand_hint}"
            ) from None
    actual = sha256_of(part_path)
    if actual != sha256:
        part_path.unlink(missing_ok=True)
        raise DownloadError(
            f"checksum mismatch for {url}: expected sha256 {sha256}, got {actual}; nothing was kept"
        )
    part_path.replace(zip_path)
    safe_extract(zip_path, target)
    return zip_path
