"""Clean photos on the filesystem, named by their SHA-256 so the same photo is stored once."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from services.reports.domain.photos import EXTENSIONS, CleanPhoto

_MEDIA_TYPES = {ext: media for media, ext in EXTENSIONS.items()}
# The only refs this store hands out or accepts: nothing here can name a path elsewhere.
REF_PATTERN = re.compile(r"sha256:(?P<hex>[0-9a-f]{64})\.(?P<ext>jpg|png|webp)")


def is_photo_ref(ref: str) -> bool:
    """Whether a string has the shape of a photo reference."""
    return REF_PATTERN.fullmatch(ref) is not None


class FilesystemPhotoStore:
    """Photos under ``root/ab/cd/<sha256>.<ext>``; writes are atomic and repeatable."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def put(self, photo: CleanPhoto) -> str:
        """Store the photo (once) and return its reference, ``sha256:<hex>.<ext>``."""
        ref = f"sha256:{photo.sha256}.{photo.extension}"
        path = self._path(photo.sha256, photo.extension)
        if path.exists():
            return ref
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=f".{photo.extension}")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(photo.data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            # Readers see either no file or the whole file; two writers of one photo write equal bytes.
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return ref

    def get(self, ref: str) -> tuple[bytes, str] | None:
        """The photo's bytes and media type, or None if the ref is malformed or unknown."""
        match = REF_PATTERN.fullmatch(ref)
        if match is None:
            return None
        try:
            data = self._path(match["hex"], match["ext"]).read_bytes()
        except FileNotFoundError:
            return None
        return data, _MEDIA_TYPES[match["ext"]]

    def exists(self, ref: str) -> bool:
        """Whether a well-formed ref names a stored photo (for checking a report's photo list)."""
        match = REF_PATTERN.fullmatch(ref)
        return match is not None and self._path(match["hex"], match["ext"]).is_file()

    def _path(self, hex_digest: str, ext: str) -> Path:
        return self._root / hex_digest[:2] / hex_digest[2:4] / f"{hex_digest}.{ext}"
