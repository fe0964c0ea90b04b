"""The trust table of docs/validation.md: what formcam makes of every real clip and its degraded copies.

Run ``python -m tests.helpers.trust_table --markdown formcam-out/trust/trust.md``
(``make trust``).  Every clip of ``FORMCAM_VIDEOS_DIR`` (``../shared/videos``
and its ``bad/`` folder) is analysed as it is, and each running clip that
formcam analyses (:data:`tests.helpers.degrade.ANALYSED_CLIPS`) also as the
copies the e2e tests make (:data:`tests.helpers.degrade.DEGRADATIONS`, its
first 10 s).  Each row gives the exit code, the cadence, the steps it rests
on, the per-step values excluded and why, and the refusal or the quality
warnings.

It runs the real command line once per input, one after another (about
20-60 s each on two cores); results are kept in the work folder
(``--work``), so an interrupted run goes on where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.degrade import ANALYSED_CLIPS, DEGRADATIONS, ORIGINAL, Degradation, degraded_copy

#: The command quoted with the table in docs/validation.md.
COMMAND = "make trust  # python -m tests.helpers.trust_table --markdown formcam-out/trust/trust.md"


@dataclass(frozen=True)
class Row:
    """One analysed input: the clip, its copy (``as is`` or a degradation's name) and what formcam said."""

    clip: str
    copy: str
    exit_code: int
    report: dict | None
    message: str


def analyse(video: Path, out: Path) -> tuple[int, dict | None, str]:
    """``formcam analyze VIDEO --no-video --format json``: (exit code, report or None, stderr's last line)."""
    proc = subprocess.run(
        [sys.executable, "-m", "formcam", "analyze", str(video), "--out", str(out), "-q", "--no-video"]
        + ["--format", "json", "--overwrite"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    report_path = out / "report.json"
    report = json.loads(report_path.read_text()) if proc.returncode == 0 and report_path.exists() else None
    lines = proc.stderr.strip().splitlines()
    return proc.returncode, report, (lines[-1].removeprefix("formcam: ") if lines else "")


def cached(work: Path, name: str, video: Path) -> tuple[int, dict | None, str]:
    """:func:`analyse`, or its earlier result in ``work/name.json``."""
    record = work / f"{name}.json"
    if record.exists():
        saved = json.loads(record.read_text())
        return saved["exit_code"], saved["report"], saved["message"]
    code, report, message = analyse(video, work / f"{name}_out")
    record.write_text(json.dumps({"exit_code": code, "report": report, "message": message}))
    return code, report, message


def inputs(videos: Path) -> list[tuple[str, str, Path, Degradation | None]]:
    """(clip, copy, source, degradation or None for the clip as it is), in table order."""
    found = sorted(videos.glob("*.mp4")) + sorted((videos / "bad").glob("*.mp4"))
    rows: list[tuple[str, str, Path, Degradation | None]] = []
    for path in found:
        clip = path.relative_to(videos).as_posix()
        rows.append((clip, "as is", path, None))
        if clip in ANALYSED_CLIPS:
            rows += [(clip, how.name, path, how) for how in (ORIGINAL, *DEGRADATIONS)]
    return rows


def run(videos: Path, work: Path, only: list[str] | None = None, *, cached_only: bool = False) -> list[Row]:
    """Analyse every input (or those whose clip name contains one of ``only``); return the rows.

    ``cached_only``: analyse nothing, give the rows of the inputs already analysed in ``work``.
    """
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for clip, copy, source, how in inputs(videos):
        if only and not any(word in clip for word in only):
            continue
        name = f"{Path(clip).stem}__{copy.replace(' ', '_')}"
        if cached_only and not (work / f"{name}.json").exists():
            continue
        video = source
        if how is not None:
            video = work / f"{name}.mp4"
            if not video.exists() and not (work / f"{name}.json").exists():
                degraded_copy(source, video, how)
        code, report, message = cached(work, name, video)
        rows.append(Row(clip, copy, code, report, message))
        print(f"{clip} [{copy}]: exit {code}", file=sys.stderr, flush=True)
    return rows


def excluded(report: dict) -> str:
    """Per-step values left out, summed over the metrics by reason: ``3 (knee at contact 2, ...: reason)``."""
    by_reason: dict[str, Counter] = {}
    for name, metric in report["metrics"].items():
        for reason, count in (metric.get("excluded") or {}).items():
            by_reason.setdefault(reason, Counter())[name] += count
    if not by_reason:
        return "0"
    parts = [
        f"{sum(counts.values())}: {reason} ({', '.join(f'{name} {n}' for name, n in counts.items())})"
        for reason, counts in by_reason.items()
    ]
    return "; ".join(parts)


def markdown(rows: list[Row]) -> str:
    """The table, one row per input."""
    lines = [
        "| clip | copy | exit | cadence (steps/min) | steps | per-step values excluded, and why "
        "| refusal or warnings |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.report is None:
            cadence, steps, dropped, note = "", "", "", row.message.replace("|", "/")
        else:
            value = row.report["cadence_spm"]
            cadence = "null" if value["value"] is None else f"{value['value']:.1f}"
            steps = str(value["n_steps"])
            dropped = excluded(row.report)
            codes = sorted({warning["code"] for warning in row.report["quality"]})
            note = ", ".join(f"`{code}`" for code in codes)
        lines.append(f"| `{row.clip}` | {row.copy} | {row.exit_code} | {cadence} | {steps} | {dropped} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "videos"
    default_videos = os.environ.get("FORMCAM_VIDEOS_DIR") or str(shared)
    parser.add_argument("--videos", type=Path, default=Path(default_videos), help="the real clips (FORMCAM_VIDEOS_DIR)")
    parser.add_argument("--work", type=Path, default=Path("formcam-out/trust/work"), help="copies and results")
    parser.add_argument("--markdown", type=Path, help="write the table here (default: print it)")
    parser.add_argument("--only", nargs="*", help="only clips whose name contains one of these words")
    parser.add_argument("--cached-only", action="store_true", help="only the inputs already analysed in --work")
    args = parser.parse_args(argv)
    if not args.videos.is_dir():
        parser.error(f"no clips at {args.videos}: set FORMCAM_VIDEOS_DIR")
    table = markdown(run(args.videos, args.work, args.only, cached_only=args.cached_only))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table)
    else:
        print(table, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
