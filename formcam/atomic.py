"""Write a file so that it is either complete or absent, never half-written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` (what it returns is ignored), then rename the result to ``path``.

    The temporary file (``.NAME.part`` in the same folder, so the rename stays on
    one file system and is atomic) is removed if ``write`` fails or is
    interrupted.
    """
    path = Path(path)
    tmp = temporary_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def temporary_path(path: str | os.PathLike) -> Path:
    """Where :func:`write_atomic` writes ``path`` before renaming it (``.NAME.part`` beside it)."""
    path = Path(path)
    return path.with_name(f".{path.name}.part")


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
