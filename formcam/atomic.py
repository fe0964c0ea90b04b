"""Write a file so that it is either complete or absent, never half-written, and never through a link.

A file is written under a temporary name of its own in the same folder, then
renamed into place. The temporary name is unique and created with
``O_CREAT|O_EXCL|O_NOFOLLOW`` (:func:`tempfile.mkstemp`): a link planted at a
name formcam would use is never written through (a fixed ``.NAME.part``
followed a planted ``.report.json.part -> ../run.mp4`` and overwrote the
input video), and the rename replaces a link at the final name instead of
following it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Suffix of every temporary file (``.NAME.<random>.part``).
PART_SUFFIX = ".part"


def _umask() -> int:
    # Read once, at import: setting the umask to read it is not safe while threads create files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Permissions a file created with ``open()`` would get (mkstemp's own 0600 would hide the outputs from a team).
FILE_MODE = 0o666 & ~_umask()


def create_temporary(path: str | os.PathLike) -> Path:
    """Create an empty file with a unique name beside ``path`` (``.NAME.<random>.part``) and return its path.

    Created exclusively, never through a link; its permissions are those an
    ordinary new file would have.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # not on Windows
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return Path(name)


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` (what it returns is ignored), then rename the result to ``path``.

    The temporary file (:func:`create_temporary`, in the same folder, so the
    rename stays on one file system and is atomic) is removed if ``write``
    fails or is interrupted.
    """
    path = Path(path)
    tmp = create_temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def temporary_paths(path: str | os.PathLike) -> list[Path]:
    """Temporary files of ``path`` that an interrupted write may have left (to clean up after a killed worker).

    Only regular files: a link planted with such a name is not formcam's.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    found = [*path.parent.glob(f".{_glob_escape(path.name)}.*{PART_SUFFIX}"), path.with_name(f".{path.name}.part")]
    return [p for p in found if p.is_file() and not p.is_symlink()]


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
