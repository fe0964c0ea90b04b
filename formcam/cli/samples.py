"""``formcam demo``, ``formcam validate`` and ``formcam render``: rendered runners on the command line.

Thin layers over :mod:`formcam.synthetic.samples`, :mod:`formcam.synthetic.validate` and
:mod:`formcam.synthetic.render`, registered in :mod:`formcam.cli` with one line each.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from formcam.cli.errors import run_reporting_errors
from formcam.cli.terminal import ProgressBars, print_summary, shown

if TYPE_CHECKING:
    from rich.status import Status


def demo(
    samples: Path = typer.Option(Path("sample_videos"), "--samples", help="Folder for the rendered sample videos."),
    out: Path = typer.Option(Path("formcam-out/demo"), "--out", "-o", help="Output folder of the analysis (replaced)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Render the sample videos (runners with known answers) and analyse one: the whole tool in one command."""

    def action() -> None:
        from formcam.synthetic.samples import DEMO_SAMPLE, SAMPLES, run_demo

        console = Console(quiet=quiet)
        with _RenderStatus(not quiet) as on_sample, ProgressBars() as bars:
            result = run_demo(samples, out, progress=not quiet, on_sample=on_sample, on_progress=bars)
        table = Table(
            title=f"Sample videos in {samples}/ (each with a .truth.json of its true values)",
            title_justify="left",
            show_header=False,
            box=None,
        )
        for name, (what, _) in SAMPLES.items():
            table.add_row(f"{name}.mp4", what)
        console.print(table)
        console.print(f"\n[bold]Analysed {DEMO_SAMPLE}.mp4[/] (true values: {_truth_line(samples, DEMO_SAMPLE)})")
        if not quiet:
            print_summary(result.report, result.out_dir, console=console, files=result.files)
        console.print(
            f"Try another: [bold]formcam analyze {shown(samples / 'rear_treadmill.mp4')}[/]; "
            "check accuracy on all views: [bold]formcam validate[/]."
        )

    run_reporting_errors(action, debug=debug)


def _truth_line(samples: Path, name: str) -> str:
    from formcam.synthetic.render import read_truth

    truth = read_truth(samples / f"{name}.mp4")["truth"]
    return (
        f"cadence {truth['cadence_spm']:.0f} steps/min, head forward {truth['head_forward_pct']:.0f} % "
        f"of the trunk, forward lean {truth['trunk_forward_lean_deg']:.0f}°"
    )


class _RenderStatus:
    """Context manager yielding ``on_sample(name, frames)`` that shows which sample is being rendered."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.status: Status | None = None

    def __enter__(self):
        if not self.enabled:
            return None
        self.status = status = Console(stderr=True).status("Rendering sample videos")
        status.start()

        def on_sample(name: str, frames: int) -> None:
            status.update(f"Rendering {name}.mp4 ({frames} frames)")

        return on_sample

    def __exit__(self, *exc) -> None:
        if self.status is not None:
            self.status.stop()


def validate(
    out: Path = typer.Option(
        Path("formcam-out/validation"),
        "--out",
        "-o",
        help="Folder for the rendered clips (kept, re-used when unchanged).",
    ),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write the tables to this Markdown file."),
    model: str | None = typer.Option(None, "--model", help="Pose model: lite, full (default), heavy, or a .task file."),
    duration: float = typer.Option(8.0, "--duration", help="Length of each clip in seconds."),
    rerender: bool = typer.Option(False, "--rerender", help="Render the clips again even if they exist."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Accuracy end to end: render runners with known answers, analyse them, print the errors."""

    def action() -> None:
        from formcam.atomic import write_text_atomic
        from formcam.errors import UsageError
        from formcam.synthetic.validate import (
            LANDMARK_HEADER,
            METRIC_HEADER,
            RESPONSE_HEADER,
            landmark_rows,
            markdown_report,
            metric_rows,
            response_rows,
            run_validation,
            validation_set,
        )

        if not duration >= 4:
            raise UsageError(f"--duration must be at least 4 seconds, enough steps to measure (got {duration}).")
        console = Console()
        err = Console(stderr=True, quiet=quiet)
        results = run_validation(
            out,
            validation_set(duration_s=duration),
            model=model,
            rerender=rerender,
            on_clip=lambda name, stage: err.print(f"{stage:>8} {name}"),
        )
        for title, header, rows in (
            ("Metric error (formcam minus truth)", METRIC_HEADER, metric_rows(results)),
            ("Pose-model landmark error, median, % of body height", LANDMARK_HEADER, landmark_rows(results)),
            ("Pose-model angle response (gain 1: follows the drawn angle)", RESPONSE_HEADER, response_rows(results)),
        ):
            table = Table(title=title, title_justify="left")
            for column in header:
                table.add_column(
                    column, justify="left" if column in ("clip", "condition", "view", "metric", "angle") else "right"
                )
            for row in rows:
                table.add_row(*row)
            console.print(table)
        for result in results:
            if result.note:
                console.print(f"{shown(result.name)}: {shown(result.note)}")
        if markdown is not None:
            write_text_atomic(markdown, markdown_report(results))
            console.print(f"Tables written to {shown(markdown)}")

    run_reporting_errors(action, debug=debug)


def render(
    video: Path = typer.Argument(..., help="The MP4 to write (its .truth.json goes next to it).", show_default=False),
    view: str = typer.Option("side", "--view", help="side, rear or front."),
    direction: str = typer.Option("right", "--direction", help="Side view: the way the runner faces, right or left."),
    duration: float = typer.Option(8.0, "--duration", help="Seconds of real time."),
    fps: float = typer.Option(60.0, "--fps", help="Capture frame rate (120, 240 ...)."),
    size: str = typer.Option("1280x720", "--size", help="Upright frame size WIDTHxHEIGHT (portrait: 720x1280)."),
    rotation: int = typer.Option(
        0, "--rotation", help="Store the frames turned, with this display rotation (90, 180, 270) as phones do."
    ),
    slowmo: float = typer.Option(1.0, "--slowmo", help="Play this many times slower than real time."),
    no_slowmo_metadata: bool = typer.Option(
        False, "--no-slowmo-metadata", help="With --slowmo: leave out Android's capture-rate tag."
    ),
    vfr: float = typer.Option(
        0.0, "--vfr", help="Variable frame rate: intervals vary by up to this fraction (e.g. 0.3)."
    ),
    motion: str = typer.Option(
        "treadmill", "--motion", help="treadmill, or across (side view: running across the frame)."
    ),
    background: str = typer.Option("plain", "--background", help="plain or clutter."),
    second_person: str | None = typer.Option(None, "--second-person", help="standing or walking."),
    projection: str = typer.Option("perspective", "--projection", help="perspective or orthographic."),
    cadence: float = typer.Option(170.0, "--cadence", help="Steps per minute."),
    pelvic_drop: float = typer.Option(0.0, "--pelvic-drop", help="Degrees (in right stance too, unless given below)."),
    pelvic_drop_right: float | None = typer.Option(
        None, "--pelvic-drop-right", help="Degrees of drop in right stance (an asymmetric runner)."
    ),
    markers: str | None = typer.Option(
        None,
        "--markers",
        help="Put a round sticker of this colour on each pelvis dimple (PSIS): orange, green, pink, yellow or blue.",
    ),
    marker_size: float = typer.Option(3.0, "--marker-size", help="The stickers' diameter, cm (2-4)."),
    pattern: bool = typer.Option(False, "--pattern", help="Patterned clothes (spots of other colours)."),
    blur: float = typer.Option(
        0.0, "--blur", help="Motion blur: the exposure as a fraction of the frame interval (0.5: 180° shutter)."
    ),
    shoulder_dip: float = typer.Option(0.0, "--shoulder-dip", help="Degrees."),
    lateral_lean: float = typer.Option(0.0, "--lateral-lean", help="Trunk lean to the stance side, degrees."),
    forward_lean: float = typer.Option(0.0, "--forward-lean", help="Trunk forward lean, degrees."),
    head_forward: float = typer.Option(0.0, "--head-forward", help="Ear ahead of the shoulder, % of trunk length."),
    vertical_oscillation: float = typer.Option(8.0, "--vertical-oscillation", help="% of leg length."),
    overstride: float = typer.Option(5.0, "--overstride", help="Heel ahead of the hip at contact, % of leg length."),
    arm_crossover: float = typer.Option(
        -10.0, "--arm-crossover", help="Wrist across the midline, % of shoulder width."
    ),
    walk: bool = typer.Option(False, "--walk", help="Walk (double support) instead of run."),
    seed: int = typer.Option(0, "--seed", help="Seed of the clutter, bystander and frame-time jitter."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors."),
) -> None:
    """Render one synthetic runner with known answers to an H.264 MP4 plus its ground-truth JSON."""

    def action() -> None:
        from formcam.errors import UsageError
        from formcam.synthetic.render import ClipSpec, Gait, render_clip
        from formcam.synthetic.render.figure import Outfit

        try:
            width, height = (int(v) for v in size.lower().split("x"))
        except ValueError:
            raise UsageError(f"--size must be WIDTHxHEIGHT in pixels, such as 1280x720 (got '{size}').") from None
        try:
            spec = ClipSpec(
                gait=Gait(
                    cadence_spm=cadence,
                    pelvic_drop_deg=pelvic_drop,
                    pelvic_drop_right_deg=pelvic_drop_right,
                    shoulder_dip_deg=shoulder_dip,
                    trunk_lateral_lean_deg=lateral_lean,
                    trunk_forward_lean_deg=forward_lean,
                    head_forward_pct=head_forward,
                    vertical_oscillation_pct=vertical_oscillation,
                    overstride_pct=overstride,
                    arm_crossover_pct=arm_crossover,
                    flight=not walk,
                ),
                view=view,
                direction=direction,
                duration_s=duration,
                fps=fps,
                frame_size=(width, height),
                rotation_deg=rotation,
                slowmo=slowmo,
                slowmo_metadata=not no_slowmo_metadata,
                vfr=vfr,
                motion=motion,
                background=background,
                second_person=second_person,
                projection=projection,
                seed=seed,
                markers=markers,
                marker_diameter_m=marker_size / 100.0,
                blur=blur,
                outfit=Outfit(pattern=pattern),
            )
        except ValueError as exc:
            raise UsageError(f"Cannot render that clip: {exc}.") from None
        files = render_clip(spec, video)
        Console().print(f"Wrote {shown(files.video)} and {shown(files.truth)}")

    run_reporting_errors(action, debug=debug)
