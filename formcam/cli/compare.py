"""``formcam compare A B``: what changed between two analyses (a thin layer over :mod:`formcam.compare`).

Registered in :mod:`formcam.cli` with ``app.command("compare")(compare_command)``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from formcam.cli.errors import run_reporting_errors
from formcam.cli.terminal import shown


def compare_command(
    before: Path = typer.Argument(
        ..., help="The earlier analysis: its output folder or report.json.", show_default=False
    ),
    after: Path = typer.Argument(..., help="The later analysis: its output folder or report.json.", show_default=False),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for compare.json and compare.html [default: ./formcam-out/compare-A-vs-B/]."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier comparison in the output folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only where the files went."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Compare two analyses (before and after): each metric's change and whether it exceeds the expected error."""

    def action() -> None:
        from formcam.compare import compare, default_compare_dir, write_comparison

        result = compare(before, after)
        files = write_comparison(result, out or default_compare_dir(before, after), overwrite=overwrite)
        console = Console()
        if not quiet:
            console.print(comparison_table(result))
            for warning in result.warnings:
                console.print(f"[yellow]![/] {shown(warning)}")
        for path in files:
            console.print(f"Wrote [bold]{shown(path)}[/]", highlight=False, soft_wrap=True)

    run_reporting_errors(action, debug=debug)


def comparison_table(comparison) -> Table:
    """A rich table of :func:`formcam.compare.comparison_rows`: changes in bold, what cannot be compared dimmed."""
    from formcam.compare import COMPARISON_COLUMNS, comparison_rows

    table = Table(title="What changed (after minus before)", title_justify="left", header_style="bold")
    for column in COMPARISON_COLUMNS:
        table.add_column(column, justify="left" if column in ("measure", "verdict", "flags") else "right")
    for change, row in zip(comparison.changes, comparison_rows(comparison)):
        words = row[5]
        style = "bold" if words == "changed" else "dim" if change.change is None else ""
        cells = [shown(cell) for cell in row]
        table.add_row(*cells[:5], f"[{style}]{cells[5]}[/]" if style else cells[5], cells[6])
    return table
