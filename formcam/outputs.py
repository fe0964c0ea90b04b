"""The output folder: where an analysis's files go, written so that none is ever half-written.

Every file is written under a temporary name in the folder and renamed into
place only when complete (``os.replace`` is atomic on one file system). An
existing analysis is not replaced without ``overwrite``, and no output path may
be the input file.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from formcam.atomic import FILE_MODE
from formcam.errors import OutputExistsError, UsageError

#: The output names of the contract in docs/design.md.
OUTPUT_NAMES = ("report.json", "annotated.mp4", "pose.npz", "report.html", "frames.csv", "steps.csv", "people.jpg")


def default_out_dir(input_path: Path) -> Path:
    """``./formcam-out/<input name without suffix>/`` (:func:`safe_stem`)."""
    return Path.cwd() / "formcam-out" / safe_stem(Path(input_path).stem)


def safe_stem(name: str) -> str:
    """``name`` as one folder name that stays where it is put: leading dots become ``_``.

    ``Path('...mp4').stem`` is ``..``: used as a folder name it is the parent
    folder (a clip's outputs, and ``--force``'s clean-up, went outside the
    batch folder); a leading dot would also hide the folder.
    """
    stripped = name.lstrip(".")
    return "_" * (len(name) - len(stripped)) + stripped if name else "_"


def prepare_out_dir(out_dir: Path, input_path: Path, *, overwrite: bool, create: bool = True) -> Path:
    """Check that writing into ``out_dir`` loses nothing the user owns, and create it if ``create``.

    Raises
    ------
    OutputExistsError
        If the folder already holds formcam outputs and ``overwrite`` is false.
    UsageError
        If an output would land on the input file.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"The output path {out_dir} is a file, not a folder; choose another with --out.")
    taken = [name for name in OUTPUT_NAMES if (out_dir / name).exists()]
    if taken and not overwrite:
        raise OutputExistsError(
            f"{out_dir} already holds an analysis ({', '.join(taken)}); pass --overwrite to replace it or choose --out."
        )
    input_resolved = input_path.resolve()
    for name in OUTPUT_NAMES:
        if (out_dir / name).resolve() == input_resolved:
            raise UsageError(f"Writing {name} into {out_dir} would overwrite the input; choose another --out.")
    if create:
        out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


#: Suffix of the private folder an analysis is written into before its files are moved into place.
STAGE_SUFFIX = ".formcam-partial"


@contextlib.contextmanager
def staged_outputs(out_dir: Path) -> Iterator[Path]:
    """A private folder (mode 0700) to write an analysis into; its files appear in ``out_dir`` at the end.

    A new ``out_dir`` appears at once, whole: the private folder is made beside
    it and renamed to it. Into an existing one (then the private folder is made
    inside it, on the same file system) the files are moved one by one, each
    with ``os.replace``, microseconds apart, replacing only the names written.
    If the block raises (an error, Ctrl-C, SIGTERM) the private folder is
    removed and ``out_dir`` is left as it was. Nobody else can plant a link in it.
    """
    out_dir = Path(out_dir)
    into_existing = out_dir.is_dir()
    if not into_existing:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    where = out_dir if into_existing else out_dir.parent
    prefix = "." if into_existing else f".{out_dir.name}."
    stage = Path(tempfile.mkdtemp(prefix=prefix, suffix=STAGE_SUFFIX, dir=where))
    try:
        yield stage
        _move_into_place(stage, out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_into_place(stage: Path, out_dir: Path) -> None:
    if stage.parent != out_dir:
        stage.chmod(FOLDER_MODE)
        try:
            os.rename(stage, out_dir)  # the whole analysis at once
            return
        except OSError:
            if not out_dir.is_dir():  # anything but a folder made meanwhile (then the files go in one by one)
                raise
    for item in sorted(stage.iterdir()):
        os.replace(item, out_dir / item.name)


#: Permissions a folder made with ``mkdir`` would get (mkdtemp's own 0700 would hide the outputs from a team).
FOLDER_MODE = 0o777 & ~(0o666 & ~FILE_MODE)


def stale_stages(out_dir: Path) -> list[Path]:
    """Private folders that a killed analysis into ``out_dir`` left inside or beside it."""
    out_dir = Path(out_dir)
    found = [*out_dir.glob(f".*{STAGE_SUFFIX}"), *out_dir.parent.glob(f".{glob.escape(out_dir.name)}.*{STAGE_SUFFIX}")]
    return [p for p in found if p.is_dir() and not p.is_symlink()]


class OutputLock:
    """Hold ``out_dir`` for one analysis: a second one into the same folder is refused at once.

    The lock is a file beside the folder (``.NAME.formcam-lock``, removed when
    released; inside an existing folder whose parent may not be written to),
    held with ``flock`` while the analysis runs: the operating system
    releases it when the process ends, so a killed run leaves no stale lock.
    Where ``flock`` does not exist (Windows) the file's exclusive creation is the lock.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir.parent / f".{self.out_dir.name}.formcam-lock"
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> OutputLock:
        """Take the lock, or raise :class:`UsageError` at once if another analysis holds it."""
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        while self._fd is None:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | _EXCL_WITHOUT_FLOCK
            try:
                fd = os.open(self.path, flags, 0o644)
            except FileExistsError:
                raise self._busy() from None
            except PermissionError:
                # A folder one may write into inside one that one may not: nobody can have created
                # it meanwhile, so every run locks inside it.
                if self.path.parent == self.out_dir or not self.out_dir.is_dir():
                    raise
                self.path = self.out_dir / ".formcam-lock"
                continue
            if not _try_flock(fd):
                os.close(fd)
                raise self._busy()
            # The holder before us may have removed the file between our open and our lock: lock the file that is there.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
            else:
                os.close(fd)
        return self

    def _busy(self) -> UsageError:
        return UsageError(
            f"Another formcam analysis is writing into {self.out_dir}; wait for it to finish or choose another --out."
        )

    def release(self) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)  # while still held, so nobody locks a file about to vanish
            os.close(self._fd)
            self._fd = None


try:
    import fcntl

    _EXCL_WITHOUT_FLOCK = 0

    def _try_flock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

except ImportError:  # Windows: the exclusive creation is the lock
    _EXCL_WITHOUT_FLOCK = os.O_EXCL

    def _try_flock(fd: int) -> bool:
        return True
