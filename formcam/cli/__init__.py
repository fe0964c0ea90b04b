"""The ``formcam`` command: a thin layer over :func:`formcam.analyze`.

Errors are one sentence on stderr with the documented exit code
(``docs/exit-codes.md``); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer._click.exceptions import NoArgsIsHelpError

from formcam import __version__
from formcam.cli import samples
from formcam.cli.batch import batch as batch_command
from formcam.cli.compare import compare_command
from formcam.cli.errors import (
    EXIT_INTERRUPTED,
    err_console,
    one_sentence_usage_error,
    run_reporting_errors,
    stop_on_sigterm,
)
from formcam.cli.formats import outputs_for
from formcam.cli.models import app as models_app
from formcam.cli.terminal import ProgressBars, print_summary, quiet_matplotlib, shown
from formcam.errors import UsageError
from formcam.text import displayable

app = typer.Typer(
    name="formcam",
    help="Check running form from ordinary video: head-forward posture, shoulder dip, pelvic drop and more.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's own layout: flags without a "<bool>" placeholder, and help text taken as written
    # (Rich markup would swallow a "[default: ...]" note).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(models_app, name="models", help="List, fetch and locate the pose models.")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"formcam {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", help="Print formcam's version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """Check running form from ordinary video: head-forward posture, shoulder dip, pelvic drop and more."""


@app.command()
def analyze(
    # readable=False: formcam itself says, in one sentence, why a file cannot be read.
    video: Path | None = typer.Argument(
        None, help="The running video (or a pose.npz from an earlier run).", show_default=False, readable=False
    ),
    pose: Path | None = typer.Option(
        None, "--pose", help="Re-analyse a saved pose.npz without running the pose model.", readable=False
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: ./formcam-out/ and the video's name)."
    ),
    model: str | None = typer.Option(None, "--model", help="Pose model: lite, full (default), heavy, or a .task file."),
    height_cm: float | None = typer.Option(None, "--height-cm", help="Runner's height in cm, to give distances in cm."),
    slowmo: float | None = typer.Option(None, "--slowmo", help="The clip plays this many times slower than real time."),
    view: str | None = typer.Option(
        None, "--view", help="Camera view, if detection gets it wrong: side, rear or front."
    ),
    person: str | None = typer.Option(
        None,
        "--person",
        help="Whom to analyse when several people are in view: a number shown in people.jpg, "
        "or left, right, center, or X,Y (fractions of the frame) where the person first appears.",
    ),
    level: float | None = typer.Option(
        None,
        "--level",
        help="Camera tilt in degrees: a level line slopes down to the right by this much in the picture "
        "(negative: up); 0 if the camera was level [default: measured from the runner].",
    ),
    markers: str = typer.Option(
        "auto",
        "--markers",
        help="Pelvic drop from two stickers on the pelvis dimples, filmed from behind: auto (used where seen) or off.",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Analyse even a clip that does not look like running, or is too short; the report says so.",
    ),
    formats: str | None = typer.Option(
        None, "--format", help="Outputs to write, comma-separated: video, json, html, csv, pose [default: all]."
    ),
    no_video: bool = typer.Option(False, "--no-video", help="Skip the annotated video (faster)."),
    video_size: str = typer.Option(
        "720p",
        "--video-size",
        help="Size of annotated.mp4: 720p, 1080p (longest side 1280 or 1920 px) or full (the input's); "
        "never under 720 px on the short side.",
    ),
    max_fps: float | None = typer.Option(
        None,
        "--max-fps",
        help="Analyse at most this many frames per second (e.g. 120 for a 240 fps clip: faster; true timestamps kept).",
    ),
    people_per_frame: int | None = typer.Option(
        None,
        "--people",
        help="People to look for in each frame, 1 or 2 (default: 2 when a quick look finds a second person).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="CPU cores to use (default: all); the results do not depend on it."
    ),
    replay: bool = typer.Option(
        False, "--replay", help="End the annotated video with a slow-motion replay of the worst step."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier analysis in the output folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Analyse one running video: annotated.mp4, report.html, report.json, pose.npz and CSVs in one folder."""

    def action() -> None:
        from formcam.pipeline import AnalysisOptions
        from formcam.pipeline import analyze as run_analysis

        source = _one_input(video, pose)
        outputs = outputs_for(formats, no_video=no_video)
        options = AnalysisOptions(
            model=model,
            slowmo=slowmo,
            view=view,
            height_cm=height_cm,
            person=person,
            outputs=outputs,
            overwrite=overwrite,
            progress=not quiet,
            force=force,
            replay=replay,
            level_deg=level,
            max_fps=max_fps,
            num_poses=people_per_frame,
            workers=workers,
            video_size=video_size,
            markers=markers,
        )
        with ProgressBars() as bars:
            result = run_analysis(source, out_dir=out, options=options, on_progress=None if quiet else bars)
        if not quiet:
            print_summary(result.report, result.out_dir, files=result.files)
            if "annotated.mp4" in outputs and result.video_note is not None:
                err_console.print(shown(result.video_note), highlight=False, soft_wrap=True)
            people = next((f for f in result.files if f.name == "people.jpg"), None)
            if people is not None:
                typer.echo(
                    f"Several people were in view: {displayable(str(people))} shows who is who; "
                    "analyse another with --person N (or --person left/right/center)."
                )

    run_reporting_errors(action, debug=debug)


def _one_input(video: Path | None, pose: Path | None) -> Path:
    if pose is not None:
        if video is not None:
            raise UsageError("Give either a video or --pose FILE, not both.")
        return pose
    if video is None:
        raise UsageError("Give a video to analyse, or --pose FILE to re-analyse a saved pose file.")
    return video


app.command("batch")(batch_command)
app.command("compare")(compare_command)
app.command("demo")(samples.demo)
app.command("validate")(samples.validate)
app.command("render")(samples.render)


@app.command()
def version() -> None:
    """Print formcam's version."""
    typer.echo(__version__)


def main() -> None:
    """The ``formcam`` command: a usage error (an unknown option, a missing argument) is one sentence too."""
    quiet_matplotlib()
    stop_on_sigterm()
    try:
        code = app(prog_name="formcam", standalone_mode=False)
    except NoArgsIsHelpError as help_shown:  # plain ``formcam``: the help, as click shows it
        help_shown.show()
        sys.exit(help_shown.exit_code)
    except typer.TyperException as error:  # click's usage errors (typer vendors click)
        sys.exit(one_sentence_usage_error(error, sys.argv[1:]))
    except typer.Abort:
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
