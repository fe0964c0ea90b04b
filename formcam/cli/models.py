"""``formcam models ...``: list, fetch and locate the pose model files.

Wire it into the main command line with ``app.add_typer(models_app, name="models")``.
Errors print as one line on stderr (never a traceback) and exit with the
error's ``exit_code``; Ctrl-C exits with 130.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from formcam.cli.errors import EXIT_INTERRUPTED
from formcam.cli.terminal import ProgressBars, shown
from formcam.errors import FormcamError
from formcam.pose import models
from formcam.text import displayable

app = typer.Typer(
    name="models",
    help="List, download and locate the MediaPipe pose model files.",
    no_args_is_help=True,
    add_completion=False,
)


def _one_line_errors(command: Callable) -> Callable:
    """Turn formcam errors and Ctrl-C into one stderr line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except FormcamError as error:
            typer.echo(f"formcam: {displayable(str(error))}", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("formcam: interrupted; nothing was installed.", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def _megabytes(size: int | None) -> str:
    return "unknown" if size is None else f"{size / 1e6:.1f} MB"


def _verified_label(row: dict) -> str:
    if row["path"] is None:
        return "-"
    return {True: "official", False: "differs from official", None: "unknown"}[row["verified"]]


@app.command("list")
@_one_line_errors
def list_command() -> None:
    """Show the official models, their size and where each is installed."""
    table = Table(title="Pose models (MediaPipe Pose Landmarker, Apache-2.0)")
    table.add_column("name")
    table.add_column("size", justify="right")
    table.add_column("installed at", overflow="fold")
    table.add_column("from", no_wrap=True)
    table.add_column("file")
    for row in models.list_models():
        name = row["name"] + (" (default)" if row["name"] == models.DEFAULT_VARIANT else "")
        table.add_row(
            name,
            _megabytes(row["size"]),
            shown(row["path"]) if row["path"] else "not installed",
            row["location"] or "-",
            _verified_label(row),
        )
    Console().print(table)


@app.command("fetch")
@_one_line_errors
def fetch_command(
    name: Annotated[str, typer.Argument(help="Model to download: lite, full or heavy.")] = models.DEFAULT_VARIANT,
    dest: Annotated[
        Path | None,
        typer.Option("--dest", help="Folder to install into (default: the user cache)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Download a model, verify its size and SHA-256, and install it."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with ProgressBars(columns, console=Console(stderr=True), transient=False) as bars:
        path = models.fetch_model(name, dest_dir=dest, progress=not quiet, on_progress=bars)
    typer.echo(str(path))


@app.command("path")
@_one_line_errors
def path_command(
    name: Annotated[
        str, typer.Argument(help="Model name (lite, full, heavy) or path of a .task file.")
    ] = models.DEFAULT_VARIANT,
) -> None:
    """Print the model file formcam would use."""
    typer.echo(str(models.resolve_model(name)))
