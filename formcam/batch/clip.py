"""One clip of a batch: its record (``batch.json``), whether it is up to date, and the work itself.

A batch keeps one small manifest per clip folder. It says which input was
analysed (its path, size, modification time and SHA-256), with which options
and formcam version, and how it ended. A clip is up to date, and skipped, when
all of those match: the content hash is the key, and size plus modification
time only spare re-hashing a file that has not been touched since.

The manifest is written *before* the analysis starts (``status: running``) and
replaced when it ends, so a folder whose batch was killed half-way is
recognised as the batch's own and redone, never mistaken for finished work.

:func:`analyse_clip` is what a worker process (or a Ray task) runs for one
clip; it never raises for a bad clip, it reports.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from formcam import __version__
from formcam.atomic import temporary_paths, write_text_atomic
from formcam.errors import (
    FormcamError,
    NothingToAnalyseError,
    OutputWriteError,
    UnreadableInputError,
    UsageError,
    cannot_write_outputs,
)
from formcam.outputs import OUTPUT_NAMES, stale_stages
from formcam.pose.models import file_sha256

if TYPE_CHECKING:
    from formcam.pipeline import AnalysisOptions

#: The per-clip manifest's file name.
MANIFEST_NAME = "batch.json"
MANIFEST_FORMAT = "formcam-batch-clip/1"

#: How a clip ended, with the exit code ``formcam analyze`` gives the same failure:
#:
#: ======================  ====  ===========================================================
#: ``ok``                  0     analysed
#: ``unreadable``          3     not a video formcam can read (corrupt, truncated, not video)
#: ``nothing_to_analyse``  4     readable, but no runner, too short, or not running
#: ``output_not_written``  5     the clip's outputs cannot be written (disk full, no permission)
#: ``usage_error``         2     cannot be done as asked (its folder holds an analysis batch did
#:                               not make; the model is missing on a Ray node)
#: ``timed_out``                 stopped after ``--clip-timeout`` seconds, its worker killed
#: ``failed``              1     a bug, or a crash of the worker process
#: ======================  ====  ===========================================================
#:
#: Only the first three are final for the same input, options and formcam
#: version (the next run skips the clip); the others depend on the machine or
#: the moment and are retried by the next run.
STATUSES = ("ok", "unreadable", "nothing_to_analyse", "output_not_written", "usage_error", "timed_out", "failed")
FINAL_STATUSES = frozenset({"ok", "unreadable", "nothing_to_analyse"})
#: The status of a clip whose analysis raised each kind of error (a subclass takes its nearest listed ancestor's).
STATUS_OF_ERROR: dict[type[FormcamError], str] = {
    UnreadableInputError: "unreadable",
    NothingToAnalyseError: "nothing_to_analyse",
    OutputWriteError: "output_not_written",
    UsageError: "usage_error",
    FormcamError: "failed",
}

#: Options that change how an analysis is shown or run, not what it finds
#: (``workers``: pose-model threads, which a batch sets to share the cores).
_OPTIONS_NOT_IN_FINGERPRINT = frozenset({"overwrite", "progress", "workers"})


@dataclass(frozen=True)
class ClipJob:
    """Everything a worker needs to analyse one clip (picklable, for processes and Ray).

    Attributes
    ----------
    name : str
        The clip's name in the batch (its folder under the batch root, ``/``-separated).
    source : str
        Absolute path of the input video (or pose file).
    out_dir : str
        Absolute path of the clip's output folder.
    options : formcam.pipeline.AnalysisOptions
    """

    name: str
    source: str
    out_dir: str
    options: AnalysisOptions


@dataclass
class ClipOutcome:
    """How one clip's analysis ended.

    Attributes
    ----------
    name : str
    status : str
        One of :data:`STATUSES`.
    message : str
        One sentence for anything but ``ok`` (empty then).
    report : dict or None
        report.json's content when ``status`` is ``ok``.
    seconds : float or None
        Wall time of the analysis; None for a clip skipped as up to date.
    reused : bool
        True when an earlier run's result was kept (nothing was redone).
    """

    name: str
    status: str
    message: str = ""
    report: dict | None = None
    seconds: float | None = None
    reused: bool = False


def options_fingerprint(options) -> dict:
    """The analysis options that change the results, as JSON-able values.

    Every field of :class:`~formcam.pipeline.AnalysisOptions` counts except
    those that only change how the analysis runs or is shown, so an option
    added later makes earlier results stale rather than wrongly reused.
    """
    fingerprint = {}
    for field in dataclasses.fields(options):
        if field.name in _OPTIONS_NOT_IN_FINGERPRINT:
            continue
        value = getattr(options, field.name)
        fingerprint[field.name] = sorted(value) if isinstance(value, (set, frozenset)) else value
    return json.loads(json.dumps(fingerprint, default=str))


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The clip folder's manifest, or None if it has none (or an unreadable one)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT else None


def write_manifest(folder: str | os.PathLike, manifest: dict) -> Path:
    return write_text_atomic(Path(folder) / MANIFEST_NAME, json.dumps(manifest, indent=2, default=str) + "\n")


def is_up_to_date(manifest: dict | None, source: str | os.PathLike, fingerprint: dict) -> TypeGuard[dict]:
    """Whether ``manifest`` records a final result for this very input, options and formcam version.

    The content hash decides; when the file's size and modification time are
    the ones recorded, the recorded hash is trusted without reading the file.
    """
    if not manifest or manifest.get("status") not in FINAL_STATUSES:
        return False
    if manifest.get("formcam_version") != __version__ or manifest.get("options") != fingerprint:
        return False
    try:
        stat = os.stat(source)
    except OSError:
        return False
    if (manifest.get("size"), manifest.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns):
        return True
    return manifest.get("size") == stat.st_size and manifest.get("sha256") == file_sha256(source)


def holds_foreign_analysis(folder: str | os.PathLike) -> bool:
    """True when ``folder`` holds analysis outputs that no batch manifest claims (e.g. from ``formcam analyze``)."""
    folder = Path(folder)
    return read_manifest(folder) is None and any((folder / name).exists() for name in OUTPUT_NAMES)


def analyse_clip(job: ClipJob) -> ClipOutcome:
    """Analyse one clip into its folder and record the outcome in its manifest.

    A bad clip is reported, not raised: the outcome's status and message say
    what went wrong, so one clip never stops a batch.
    """
    from formcam.pipeline import analyze

    out_dir = Path(job.out_dir)
    record = _new_record(job)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_manifest(out_dir, record)  # claims the folder before anything in it changes
        remove_outputs(out_dir)  # a failed redo must not leave an earlier result looking current
    except OSError as error:
        return ClipOutcome(job.name, "output_not_written", cannot_write_outputs(out_dir, error), seconds=0.0)
    started = time.perf_counter()
    report = None
    try:
        stat = os.stat(job.source)
        record.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=file_sha256(job.source))
        report = analyze(job.source, out_dir, job.options).report
        status, message = "ok", ""
    except FormcamError as error:
        status, message = status_of(error), str(error)
    except OSError as error:
        status, message = "unreadable", f"Cannot read {Path(job.source).name} ({error.strerror or error})."
    except Exception as error:  # a bug: recorded for this clip, with its traceback, and retried next run
        status = "failed"
        message = (
            f"Unexpected internal error ({type(error).__name__}: {error}); please report it with the traceback "
            f"in {out_dir / MANIFEST_NAME}."
        )
        record["traceback"] = traceback.format_exc()
    seconds = round(time.perf_counter() - started, 3)
    record.update(status=status, message=message, seconds=seconds, finished=_now())
    try:
        if status != "ok":  # what a failed analysis did write is no result (and, on a full disk, in the way)
            remove_outputs(out_dir)
        write_manifest(out_dir, record)
    except OSError as error:  # the outputs may be whole, but unrecorded they would be redone: say so now
        status, message, report = "output_not_written", cannot_write_outputs(out_dir, error), None
    return ClipOutcome(job.name, status, message, report, seconds)


def record_stopped(job: ClipJob, status: str, message: str, seconds: float | None = None) -> ClipOutcome:
    """Record a clip whose worker was stopped from outside (timed out, crashed): its outputs go, its manifest says why.

    Called by the engine once the worker is dead, so nothing writes into the
    folder meanwhile. The status is one that the next run retries.
    """
    out_dir = Path(job.out_dir)
    record = read_manifest(out_dir) or _new_record(job)
    record.update(status=status, message=message, seconds=seconds, finished=_now())
    record.pop("traceback", None)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_outputs(out_dir)
        write_manifest(out_dir, record)
    except OSError:
        pass  # unrecorded, the clip is redone next run all the same; its row still says what happened
    return ClipOutcome(job.name, status, message, seconds=seconds)


def status_of(error: FormcamError) -> str:
    """The status (:data:`STATUSES`) of a clip whose analysis raised ``error``."""
    return next(STATUS_OF_ERROR[kind] for kind in type(error).__mro__ if kind in STATUS_OF_ERROR)


def remove_outputs(out_dir: str | os.PathLike) -> None:
    """Remove the analysis outputs from a clip folder, and any half-written ones a killed worker left."""
    out_dir = Path(out_dir)
    for name in OUTPUT_NAMES:
        (out_dir / name).unlink(missing_ok=True)
        for leftover in temporary_paths(out_dir / name):
            leftover.unlink(missing_ok=True)
    for stage in stale_stages(out_dir):
        shutil.rmtree(stage, ignore_errors=True)


def _new_record(job: ClipJob) -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "formcam_version": __version__,
        "clip": job.name,
        "source": job.source,
        "options": options_fingerprint(job.options),
        "status": "running",
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
