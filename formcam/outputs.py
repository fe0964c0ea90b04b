"""The output folder: where an analysis's files go, written so that none is ever half-written.

Every file is written under a temporary name in the folder and renamed into
place only when complete (``os.replace`` is atomic on one file system). An
existing analysis is not replaced without ``overwrite``, and no output path may
be the input file.
"""

from __future__ import annotations

from pathlib import Path

from formcam.errors import OutputExistsError, UsageError

#: The output names of the contract in docs/design.md.
OUTPUT_NAMES = ("report.json", "annotated.mp4", "pose.npz", "report.html", "frames.csv", "steps.csv", "people.jpg")


def default_out_dir(input_path: Path) -> Path:
    """``./formcam-out/<input name without suffix>/``."""
    return Path.cwd() / "formcam-out" / input_path.stem


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
