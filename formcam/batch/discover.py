"""Finding a batch's clips: files, folders and glob patterns in, named clips out.

Clip names and runners
----------------------
A clip found inside a folder given as input is named by its path under that
folder, without the suffix (``clinic/anna/run1.mp4`` given ``clinic`` is
``anna/run1``); a file given by name (or matched by a glob's file part) by its
file name without suffix. Clips that would share a name get their parent
folders prepended until the names differ (``a/run`` and ``b/run``).

The runner (for ``--compare-to``) is the first folder under the folder given as
input when there is one (a folder per runner: ``clinic/anna/*.mp4`` is
``anna``); otherwise the file name up to the first underscore
(``anna_2025-03-01.mp4`` is ``anna``; a name without underscore is its own runner).
"""

from __future__ import annotations

import glob
import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from formcam.batch.clip import MANIFEST_NAME
from formcam.errors import NothingToAnalyseError, UnreadableInputError, os_reason
from formcam.outputs import safe_stem

__all__ = ["Clip", "Discovery", "VIDEO_SUFFIXES", "discover", "find_clips", "runner_of", "unique_names"]

#: Files a folder search picks up (a file named on the command line is tried whatever its suffix).
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mts", ".m2ts", ".3gp", ".mpg", ".mpeg", ".wmv"}
)
_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class Clip:
    """One input of a batch.

    Attributes
    ----------
    name : str
        Its output folder under the batch root, ``/``-separated (``anna/run1``).
    source : Path
        The input file (absolute; symbolic links are kept as given).
    runner : str
        Who runs in it, by the naming rule in the module docstring.
    """

    name: str
    source: Path
    runner: str


@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes
    ----------
    clips : list of Clip
    skipped : list of str
        One sentence for each thing left out that a user may have meant as an
        input: a folder that cannot be read, a link out of the folder tree,
        a file that is not a regular file (a FIFO, a device).
    """

    clips: list[Clip]
    skipped: list[str] = field(default_factory=list)


def find_clips(inputs: Iterable[str | os.PathLike], *, exclude: str | os.PathLike | None = None) -> list[Clip]:
    """The clips named by ``inputs``: :func:`discover`'s clips."""
    return discover(inputs, exclude=exclude).clips


def discover(inputs: Iterable[str | os.PathLike], *, exclude: str | os.PathLike | None = None) -> Discovery:
    """The clips named by ``inputs`` (files, folders searched recursively, glob patterns), named and de-duplicated.

    Parameters
    ----------
    inputs : iterable of str or path
        A file is taken as it is; a folder yields the videos under it
        (:data:`VIDEO_SUFFIXES`, hidden files and folders and formcam output
        folders left out); a pattern with ``*``, ``?`` or ``[`` is expanded
        (``**`` spans folders) and yields its videos and folders. Only
        regular files are clips (a FIFO would stall the batch in ``open``);
        a link to a folder is followed only where it stays inside the folder
        searched (a link to ``/`` would walk the whole file system); a folder
        that cannot be read is left out. What is left out is listed in
        :attr:`Discovery.skipped`.
    exclude : path, optional
        A folder never searched (the batch's own output folder).

    Raises
    ------
    UnreadableInputError
        If an input names nothing that exists (checked before any work starts).
    NothingToAnalyseError
        If there is no video among the inputs.
    """
    inputs = list(inputs)
    excluded = Path(exclude).resolve() if exclude is not None else None
    found: list[tuple[Path, tuple[str, ...]]] = []
    skipped: list[str] = []
    for item in inputs:
        found += _expand(str(item), excluded, skipped)
    seen, unique = set(), []
    for path, parts in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, parts))
    if not unique:
        why = f" ({'; '.join(skipped)})" if skipped else ""
        raise NothingToAnalyseError(f"No video files were found in {', '.join(map(str, inputs))}{why}.")
    names = unique_names([path for path, _ in unique], [parts for _, parts in unique])
    return Discovery([Clip(name, path, runner_of(parts)) for name, (path, parts) in zip(names, unique)], skipped)


def _expand(item: str, excluded: Path | None, skipped: list[str]) -> list[tuple[Path, tuple[str, ...]]]:
    """``(absolute path, parts under the input's base folder)`` of each clip ``item`` names."""
    path = Path(item).expanduser()
    if path.is_dir():
        return _videos_under(path, excluded, skipped)
    if os.path.lexists(path):
        if not _is_regular_file(path, skipped):
            return []
        return [(Path(os.path.abspath(path)), (path.name,))]
    if not _GLOB_CHARACTERS & set(item):
        raise UnreadableInputError(f"There is no file or folder at {item}.")
    base = _glob_base(path)
    matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
    clips = []
    for match in matches:
        if match.is_dir():
            clips += [
                (p, Path(os.path.relpath(p, os.path.abspath(base))).parts)
                for p, _ in _videos_under(match, excluded, skipped)
            ]
        elif _is_video(match) and _is_regular_file(match, skipped) and not _is_output(match.parent, excluded, skipped):
            clips.append((Path(os.path.abspath(match)), Path(os.path.relpath(match, base)).parts))
    if not matches:
        raise UnreadableInputError(f"Nothing matches {item}.")
    return clips


def _is_regular_file(path: Path, skipped: list[str]) -> bool:
    """Whether ``path`` (or what its link points to) is a regular file; else say why in ``skipped``."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        skipped.append(f"{path}: {os_reason(error)}")
        return False
    if not stat.S_ISREG(mode):
        skipped.append(f"{path}: not a regular file (a FIFO, socket or device)")
        return False
    return True


def _glob_base(pattern: Path) -> Path:
    """The folder a pattern's magic starts in (``clips/*/x*.mp4`` -> ``clips``)."""
    parts = []
    for part in pattern.parts:
        if _GLOB_CHARACTERS & set(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _videos_under(folder: Path, excluded: Path | None, skipped: list[str]) -> list[tuple[Path, tuple[str, ...]]]:
    top = folder.resolve()
    clips, visited = [], {top}

    def unreadable(error: OSError) -> None:
        skipped.append(f"{error.filename}: {os_reason(error)}")

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=unreadable):
        root_path = Path(root)
        kept = []
        for d in sorted(dirs):
            sub = root_path / d
            if d.startswith(".") or _is_output(sub, excluded, skipped):
                continue
            target = sub.resolve()
            if sub.is_symlink() and not target.is_relative_to(top):
                skipped.append(f"{sub}: a link to a folder outside {folder} ({target}), not followed")
                continue
            if target not in visited:  # a link back up the tree is followed once, not forever
                visited.add(target)
                kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            path = root_path / name
            if not name.startswith(".") and _is_video(path) and _is_regular_file(path, skipped):
                clips.append((Path(os.path.abspath(path)), path.relative_to(folder).parts))
    return clips


def _is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _is_output(folder: Path, excluded: Path | None, skipped: list[str] | None = None) -> bool:
    """The batch's own output root, or a folder formcam wrote an analysis into (its annotated.mp4 is no input).

    A folder that cannot be looked into is left out too (and said so in ``skipped``).
    """
    if excluded is not None and folder.resolve() == excluded:
        return True
    try:
        return (folder / MANIFEST_NAME).exists() or (folder / "report.json").exists()
    except OSError as error:
        if skipped is not None:
            skipped.append(f"{folder}: {os_reason(error)}")
        return True


def unique_names(paths: Sequence[Path], parts: Sequence[tuple[str, ...]]) -> list[str]:
    """Each clip's name: its ``parts`` without the file suffix, widened with parent folders until unique.

    Parameters
    ----------
    paths : sequence of Path
        Absolute input paths.
    parts : sequence of tuple of str
        Each path's components under the folder it was found in (at least the file name).
    """
    same_stem = Counter(p.with_suffix("") for p in paths)  # run.mp4 and run.mov side by side keep their suffixes
    full = [
        tuple(
            safe_stem(part)
            for part in (
                *p.parent.parts[1:],
                p.stem if same_stem[p.with_suffix("")] == 1 else f"{p.stem}_{p.suffix.lstrip('.')}",
            )
        )
        for p in paths
    ]
    depth = [min(len(part), len(f)) for part, f in zip(parts, full)]
    while True:
        names = ["/".join(f[len(f) - d :]) for f, d in zip(full, depth)]
        counts = Counter(names)
        widen = [i for i, name in enumerate(names) if counts[name] > 1 and depth[i] < len(full[i])]
        if not widen:
            return names
        for i in widen:
            depth[i] += 1


def runner_of(parts: tuple[str, ...]) -> str:
    """Who runs in a clip: its first folder under the input folder, else its file name up to the first ``_``."""
    if len(parts) > 1:
        return parts[0]
    stem = Path(parts[-1]).stem
    prefix = stem.split("_", 1)[0]
    return prefix or stem
