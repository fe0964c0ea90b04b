"""What the command line shows: progress bars while the library works, the short summary after an analysis (rich)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from formcam.text import displayable

FLAG_STYLE = {"ok": "green", "watch": "yellow", "high": "bold red", None: "dim"}


def shown(text) -> str:
    """Text from outside (a path, a clip name, a report's words) as rich markup that shows it as it is.

    ``[club]`` in a folder name stays, ``[/x]`` raises no MarkupError, and the
    bytes of a non-UTF-8 name show as U+FFFD.
    """
    return escape(displayable(str(text)))


def quiet_matplotlib() -> None:
    """Give matplotlib (which MediaPipe imports) a writable config folder when the home folder's is not.

    Otherwise matplotlib prints two lines of warning on stderr, where formcam
    promises one sentence. The temporary folder goes when the command ends.
    """
    if os.environ.get("MPLCONFIGDIR"):
        return
    home = Path(os.path.expanduser("~"))
    folders = [
        Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib",
        Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib",
    ]
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            writable = os.access(folder, os.W_OK)
        except OSError:
            writable = False
        if not writable:
            temporary = tempfile.mkdtemp(prefix="formcam-matplotlib-")
            atexit.register(shutil.rmtree, temporary, ignore_errors=True)
            os.environ["MPLCONFIGDIR"] = temporary
            return


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    suffix = "°" if unit == "deg" else f" {unit}" if unit else ""
    return f"{value:.1f}{suffix}"


def summary_table(report: dict) -> Table:
    """Cadence and the measured metrics: value, per-side values, steps used, flag."""
    table = Table(title="Running form", title_justify="left", header_style="bold")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("measure", "left"),
        ("value", "right"),
        ("left", "right"),
        ("right", "right"),
        ("steps", "right"),
        ("flag", "left"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    cadence = report["cadence_spm"]
    table.add_row("Cadence", _fmt(cadence["value"], "steps/min"), "", "", str(cadence["n_steps"]), "")
    for metric in report["metrics"].values():
        if metric["value"] is None:
            continue
        unit, flag = metric["unit"], metric["flag"]
        table.add_row(
            shown(metric["label"]),
            _fmt(metric["value"], unit),
            _fmt(metric["left"], unit),
            _fmt(metric["right"], unit),
            str(metric["n"]),
            f"[{FLAG_STYLE.get(flag, 'dim')}]{flag or ''}[/]",
        )
    return table


def not_measured(report: dict) -> list[str]:
    """One line per metric the clip could not support: valid in this view but short of data first."""
    view = report["view"]["label"]
    missing = [m for m in report["metrics"].values() if m["value"] is None]
    lines = [f"{shown(m['label'])}: {shown(m['reason'])}" for m in missing if m["valid_for_view"]]
    other_view = [shown(m["label"]) for m in missing if not m["valid_for_view"]]
    if other_view:
        lines.append(f"Not measurable in a {view} view: {', '.join(other_view)}.")
    return lines


#: What each output file is, in a few words, for the list printed after an analysis.
FILE_NOTES = {
    "report.html": "the report to read (open in a browser)",
    "annotated.mp4": "annotated video",
    "report.json": "every number, for programs",
    "frames.csv": "per-frame signals",
    "steps.csv": "per-step values",
    "pose.npz": "landmarks (re-analyse with --pose)",
    "people.jpg": "who is who (--person)",
}


def files_table(files: Sequence[Path]) -> Table:
    """The files written, each with what it is: by name when they share a folder (:func:`written_line` says which)."""
    folder = _common_folder(files)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("file", no_wrap=True)
    table.add_column("what", style="dim")
    for path in files:
        table.add_row(shown(Path(path).name if folder else path), FILE_NOTES.get(Path(path).name, ""))
    return table


def written_line(files: Sequence[Path], *, listed_below: bool = False) -> str:
    """``Wrote a, b to`` and the folder (Rich markup), or ``Wrote to`` it when a :func:`files_table` follows.

    The folder goes whole on a line of its own: a path broken across lines cannot be copied.
    """
    folder = _common_folder(files)
    if folder is None:
        return "Wrote:" if listed_below else "Wrote " + ", ".join(f"[bold]{shown(f)}[/]" for f in files)
    where = f"[bold]{shown(folder)}[/]"
    if listed_below:
        return f"Wrote to\n{where}"
    return f"Wrote {', '.join(shown(Path(f).name) for f in files)} to\n{where}"


def _common_folder(files: Sequence[Path]) -> Path | None:
    folders = {Path(f).parent for f in files}
    return folders.pop() if len(folders) == 1 else None


def print_summary(
    report: dict, out_dir: Path | None, console: Console | None = None, *, files: Sequence[Path] = ()
) -> None:
    """Print the view, the metrics table, quality warnings and where the files are (``files``: each one)."""
    console = console or Console()
    video, view, runner = report["video"], report["view"], report["runner"]
    direction = f", running {view['direction']}" if view.get("direction") else ""
    console.print(
        f"[bold]{shown(Path(video['path']).name) if video.get('path') else 'pose file'}[/]: "
        f"{view['label']} view ({view['confidence']:.0%} sure{direction}), "
        f"runner seen in {runner['detected_fraction']:.0%} of {video['frames']} frames"
        + ("" if runner["is_running"] else ", [yellow]does not look like running[/]")
    )
    console.print(summary_table(report))
    for line in not_measured(report):
        console.print(f"[dim]{line}[/]")
    for warning in report["quality"]:
        console.print(f"[yellow]![/] {shown(warning['message'])}")
    if files:
        console.print(written_line(files, listed_below=True), highlight=False, soft_wrap=True)
        console.print(files_table(files))
    elif out_dir is not None:
        console.print(f"Outputs in [bold]{shown(out_dir)}[/]")


def frame_columns() -> tuple[ProgressColumn, ...]:
    """Stage, bar, frames done of total, frames per second, time left."""
    return (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} frames/s"),
        TimeRemainingColumn(),
    )


class ProgressBars:
    """A :class:`formcam.pipeline.ProgressCallback` drawing one rich bar per stage, in turn.

    A stage's bar appears at its first call and goes when the stage ends
    (``done`` reaches ``total``), another stage starts, or the ``with`` block
    closes; transient bars leave nothing behind.

    Parameters
    ----------
    columns : sequence of rich.progress.ProgressColumn, optional
        Default :func:`frame_columns`; a column may show ``{task.fields[rate]}``
        (units per second, ``-`` until known).
    console : rich.console.Console, optional
    transient : bool
        Erase each bar when its stage ends.
    """

    def __init__(
        self, columns: Sequence[ProgressColumn] | None = None, *, console: Console | None = None, transient: bool = True
    ):
        self._columns = tuple(columns) if columns is not None else frame_columns()
        self._console, self._transient = console, transient
        self._progress: Progress | None = None
        self._stage: str | None = None
        self._ended: set[str] = set()

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage in self._ended:
            return
        if stage != self._stage or self._progress is None:
            self._close()
            self._progress = Progress(*self._columns, console=self._console, transient=self._transient)
            self._progress.start()
            self._task = self._progress.add_task(stage, total=total, rate="-")
            self._stage = stage
        speed = self._progress.tasks[0].speed
        self._progress.update(self._task, completed=done, total=total, rate=f"{speed:.0f}" if speed else "-")
        if total is not None and done >= total:
            self._ended.add(stage)
            self._close()

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._stage = None, None
