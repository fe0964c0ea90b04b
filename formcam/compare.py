"""Before and after: what changed between two analyses, metric by metric.

    >>> from formcam.compare import compare
    >>> result = compare("before/report.json", "after/")      # doctest: +SKIP
    >>> result.changes[0].name, result.changes[0].beyond_error  # doctest: +SKIP

A change counts only when it is larger than the two measurements' combined
expected error, ``sqrt(e_before**2 + e_after**2)``: each value carries its
own error (report.json's ``expected_error`` of that metric, e.g. "±3° per
step"), and a smaller difference cannot be told apart from them. The per-step
error is used as stated, although each value is a median over several steps,
because the largest errors (camera height and angle, landmark offsets) do not
average out between two filming sessions. A metric with a published
smallest detectable difference between days (pelvic drop from markers: 2.8°,
Dingenen et al. 2018; ``MetricSpec.smallest_detectable_difference``) needs at
least that.

The command line ``formcam compare A B`` (:mod:`formcam.cli.compare`) prints
the table and writes ``compare.json`` and ``compare.html``.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from formcam.atomic import write_text_atomic
from formcam.batch.summary_compare import CADENCE_EXPECTED_ERROR_SPM
from formcam.errors import OutputExistsError, UnreadableInputError, UsageError
from formcam.gait.registry import METRICS
from formcam.gait.steps import MIN_REGULAR_STEPS
from formcam.report.html import page
from formcam.report.json_report import read_report
from formcam.text import displayable

__all__ = [
    "COMPARE_FORMAT",
    "COMPARISON_COLUMNS",
    "Comparison",
    "MetricChange",
    "compare",
    "compare_reports",
    "comparison_rows",
    "expected_error_value",
    "load_report",
    "write_comparison",
]

COMPARE_FORMAT = "formcam-compare/1"
OUTPUT_NAMES = ("compare.json", "compare.html")
#: The columns of :func:`comparison_rows`.
COMPARISON_COLUMNS = ("measure", "before", "after", "change", "expected error", "verdict", "flags")
_UNIT_TEXT = {"deg": "°"}
#: Where report.json's expected error goes on from the synthetic part to what real landmarks add.
_LANDMARK_PART = "real landmarks add:"
#: Cadence outside this range is no human running or walking (steps/min): a value there is not compared.
CADENCE_PLAUSIBLE_SPM = (30.0, 300.0)
_ERROR_PATTERN = re.compile(r"±\s*(\d+(?:\.\d+)?)(?:\s*[-–]\s*(\d+(?:\.\d+)?))?\s*(%)?")


@dataclass(frozen=True)
class MetricChange:
    """One metric before and after.

    Attributes
    ----------
    name, label, unit : str
    before, after : float or None
        The two values (None where that analysis could not measure it).
    change : float or None
        ``after - before``.
    expected_error_before, expected_error_after : float or None
        Each value's expected error in the metric's unit.
    combined_error : float or None
        ``sqrt(e_before**2 + e_after**2)``.
    beyond_error : bool or None
        ``|change| > combined_error``; None when either is unknown.
    flag_before, flag_after : str or None
    left_before, left_after, right_before, right_after : float or None
        Per-side values, for sided metrics.
    note : str or None
        Why there is no change to show.
    """

    name: str
    label: str
    unit: str
    before: float | None
    after: float | None
    change: float | None
    expected_error_before: float | None
    expected_error_after: float | None
    combined_error: float | None
    beyond_error: bool | None
    flag_before: str | None = None
    flag_after: str | None = None
    left_before: float | None = None
    left_after: float | None = None
    right_before: float | None = None
    right_after: float | None = None
    note: str | None = None


@dataclass
class Comparison:
    """Two analyses compared: where they came from, the changes, and warnings about comparing them."""

    before: dict
    after: dict
    changes: list[MetricChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """compare.json's content."""
        return {
            "format": COMPARE_FORMAT,
            "before": self.before,
            "after": self.after,
            "metrics": {c.name: {k: v for k, v in asdict(c).items() if k != "name"} for c in self.changes},
            "warnings": list(self.warnings),
        }


def load_report(path: str | Path) -> tuple[dict, Path]:
    """Read a report.json, given as the file or the analysis folder holding it.

    Returns
    -------
    report : dict
    path : Path
        The report.json file read.

    Raises
    ------
    UnreadableInputError
        When there is no such file or folder, no report.json in the folder, or it cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
        if not path.is_file():
            raise UnreadableInputError(
                f"{path.parent} holds no report.json; give a formcam output folder or a report.json."
            )
    elif not path.exists():
        raise UnreadableInputError(f"There is no file or folder at {path}.")
    return read_report(path), path  # read_report takes only a regular file (a FIFO would block)


def _side(report: dict, path: Path) -> dict:
    video = report.get("video") or {}
    return {
        "report": str(path.resolve()),
        "video": video.get("path"),
        "view": (report.get("view") or {}).get("label"),
        "formcam_version": report.get("formcam_version"),
    }


def expected_error_value(text, value: float | None = None) -> float | None:
    """The whole expected error of a measurement, as a number in the metric's unit.

    Reports read from disk may come from another formcam version, so their
    own text is read rather than this version's registry.

    Parameters
    ----------
    text : str or float or None
        report.json's ``expected_error``: a number, or text such as ``"±0.6
        points on synthetic gaits ...; real landmarks add: ±5 points"``,
        ``"±2-4°"`` (the upper bound is used) or ``"±15 %"`` (relative to
        ``value`` when the ``%`` follows the number directly).
    value : float, optional
        The measured value, for relative errors.

    Returns
    -------
    float or None
        The error measured on synthetic gaits and the part real landmarks
        add, combined as independent errors (``sqrt(a**2 + b**2)``); either
        alone where the text states only one. None where no part can be read.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return _number(text)
    text = text if isinstance(text, str) else ""
    synthetic, _, landmarks = text.partition(_LANDMARK_PART)
    parts = [_bound(part, value) for part in (synthetic, landmarks) if part]
    known = [part for part in parts if part is not None]
    if not known or len(known) < len(parts):
        return None
    return math.hypot(*known)


def _bound(text: str, value: float | None) -> float | None:
    """The first ``±`` number of ``text`` (the upper one of a range), relative to ``value`` when a % follows."""
    match = _ERROR_PATTERN.search(text)
    if match is None:
        return None
    bound = float(match.group(2) or match.group(1))
    if match.group(3):
        return None if value is None else abs(value) * bound / 100
    return bound


def _number(value) -> float | None:
    """``value`` as a finite float, or None: true/false, text, NaN, infinities and huge integers are no number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _flag(value) -> str | None:
    return value if isinstance(value, str) else None


def _implausible(name: str, value: float) -> str | None:
    """Why ``value`` cannot be a measurement of metric ``name`` (outside its physiological range), or None."""
    if name == "cadence_spm":
        low, high = CADENCE_PLAUSIBLE_SPM
    elif name in METRICS:
        low, high = METRICS[name].plausible
    else:
        return None
    if low <= value <= high:
        return None
    return f"{value:.4g} is outside the plausible range {low:g} to {high:g}"


def _not_comparable(report: dict, name: str, entry: dict) -> str | None:
    """Why a value of ``report`` must not count as a real change, or None.

    A clip not shown to be running, or analysed only because ``--force``
    was given, and a value resting on fewer steps than its metric needs
    (as this version's registry says; a metric it does not know is taken
    as it is) are no basis for a change.
    """
    implausible = _implausible(name, entry["value"])
    if implausible:
        return implausible
    runner = report.get("runner") or {}
    if runner.get("is_running") is False:
        return "not shown to be running"
    if runner.get("forced"):
        return "analysed only with --force"
    if name == "cadence_spm":
        needed = MIN_REGULAR_STEPS
    elif name in METRICS:
        # Both sides' minimum for a sided metric, twice the per-side minimum in all for an unsided one
        # (MetricSpec.min_steps): the same total either way.
        needed = 2 * METRICS[name].min_steps_per_side
    else:
        return None
    n = entry.get("n_steps", entry.get("n"))
    if not isinstance(n, int) or n < needed:
        return f"rests on {n} steps, fewer than the {needed} it needs"
    return None


def _change_row(name: str, before: dict | None, after: dict | None, reports: tuple[dict, dict]) -> MetricChange:
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    old, new = _number(b.get("value")), _number(a.get("value"))
    if name == "cadence_spm":
        e_old = CADENCE_EXPECTED_ERROR_SPM if old is not None else None
        e_new = CADENCE_EXPECTED_ERROR_SPM if new is not None else None
    else:
        e_old = expected_error_value(b.get("expected_error"), old) if old is not None else None
        e_new = expected_error_value(a.get("expected_error"), new) if new is not None else None
    change = None if old is None or new is None else new - old
    combined = math.hypot(e_old, e_new) if e_old is not None and e_new is not None else None
    # A test-retest smallest detectable difference (pelvic drop from markers: 2.8°) is the least real change.
    sdd = METRICS[name].smallest_detectable_difference if name in METRICS else None
    if combined is not None and sdd is not None:
        combined = max(combined, sdd)
    beyond = None if change is None or combined is None else abs(change) > combined
    note = None
    if change is None:
        missing = [word for word, v in (("before", old), ("after", new)) if v is None]
        reasons = [m.get("reason") for m, v in ((b, old), (a, new)) if v is None and m.get("reason")]
        note = f"not measured {' and '.join(missing)}" + (f" ({reasons[0]})" if reasons else "")
    else:
        sides = (("before", reports[0], {**b, "value": old}), ("after", reports[1], {**a, "value": new}))
        why_not = [f"{when}: {why}" for when, report, entry in sides if (why := _not_comparable(report, name, entry))]
        if why_not:
            beyond, note = None, "not comparable (" + "; ".join(why_not) + ")"
    label = str(a.get("label") or b.get("label") or ("Cadence" if name == "cadence_spm" else name))
    unit = str(a.get("unit") or b.get("unit") or ("steps/min" if name == "cadence_spm" else ""))
    return MetricChange(
        name=name,
        label=label,
        unit=unit,
        before=old,
        after=new,
        change=change,
        expected_error_before=e_old,
        expected_error_after=e_new,
        combined_error=combined,
        beyond_error=beyond,
        flag_before=_flag(b.get("flag")),
        flag_after=_flag(a.get("flag")),
        left_before=_number(b.get("left")),
        left_after=_number(a.get("left")),
        right_before=_number(b.get("right")),
        right_after=_number(a.get("right")),
        note=note,
    )


def compare_reports(
    before: dict, after: dict, *, before_path: Path | None = None, after_path: Path | None = None
) -> Comparison:
    """Compare two report.json contents.

    Parameters
    ----------
    before, after : dict
        The earlier and the later analysis.
    before_path, after_path : Path, optional
        Where they were read from, for the record.

    Returns
    -------
    Comparison
        Cadence first, then every metric either report measured (in the later
        report's order); metrics neither measured are left out.
    """
    result = Comparison(
        before=_side(before, before_path or Path("before")), after=_side(after, after_path or Path("after"))
    )
    reports = (before, after)
    result.changes.append(_change_row("cadence_spm", before.get("cadence_spm"), after.get("cadence_spm"), reports))
    names = list(after.get("metrics", {})) + [n for n in before.get("metrics", {}) if n not in after.get("metrics", {})]
    for name in names:
        old, new = before["metrics"].get(name), after["metrics"].get(name)
        if (old or {}).get("value") is None and (new or {}).get("value") is None:
            continue
        result.changes.append(_change_row(name, old, new, reports))
    views = (result.before["view"], result.after["view"])
    if views[0] != views[1]:
        result.warnings.append(
            f"The two clips were filmed from different views ({views[0]} before, {views[1]} after); "
            "only the metrics both views measure can be compared."
        )
    heights = ((before.get("runner") or {}).get("height_cm"), (after.get("runner") or {}).get("height_cm"))
    if heights[0] != heights[1] and None not in heights:
        result.warnings.append(
            f"Different runner heights were given ({heights[0]} and {heights[1]} cm); "
            "centimetre values are not comparable."
        )
    if before.get("formcam_version") != after.get("formcam_version"):
        result.warnings.append(
            f"The analyses were made by different formcam versions ({before.get('formcam_version')} "
            f"and {after.get('formcam_version')}); a change may come from formcam itself."
        )
    return result


def compare(before: str | Path, after: str | Path) -> Comparison:
    """Compare two analyses given as report.json files or output folders (see :func:`compare_reports`)."""
    old, old_path = load_report(before)
    new, new_path = load_report(after)
    return compare_reports(old, new, before_path=old_path, after_path=new_path)


# --------------------------------------------------------------------------- output


def _fmt(value, unit: str = "", signed: bool = False) -> str:
    if value is None:
        return "–"
    suffix = _UNIT_TEXT.get(unit, f" {unit}" if unit else "")
    return f"{value:+.1f}{suffix}" if signed else f"{value:.1f}{suffix}"


def verdict(change: MetricChange) -> str:
    """Plain words: 'changed', 'within error', or why there is nothing to compare."""
    if change.change is None:
        return change.note or "not comparable"
    if change.beyond_error is None:
        return change.note or "no error estimate"
    return "changed" if change.beyond_error else "within error"


def comparison_rows(comparison: Comparison, *, units_in_cells: bool = True) -> list[tuple[str, ...]]:
    """The comparison as a table of text, one row per change, in :data:`COMPARISON_COLUMNS` order.

    Before, after, change (signed) and the combined expected error carry their
    unit, or (``units_in_cells=False``, for a narrow terminal) the measure
    says it once, e.g. ``Cadence (steps/min)``; the verdict is
    :func:`verdict`'s; flags read ``before → after``.
    """
    rows: list[tuple[str, ...]] = []
    for c in comparison.changes:
        unit = c.unit if units_in_cells else ""
        error = f"±{_fmt(c.combined_error, unit)}" if c.combined_error is not None else "–"
        flags = f"{c.flag_before or '-'} → {c.flag_after or '-'}" if (c.flag_before or c.flag_after) else ""
        label = c.label if units_in_cells or not c.unit else f"{c.label} ({_UNIT_TEXT.get(c.unit, c.unit)})"
        rows.append(
            (
                label,
                _fmt(c.before, unit),
                _fmt(c.after, unit),
                _fmt(c.change, unit, signed=True),
                error,
                verdict(c),
                flags,
            )
        )
    return rows


def comparison_html(comparison: Comparison) -> str:
    """compare.html: the same table as a self-contained page (see :func:`formcam.report.html.page`)."""

    def e(text) -> str:
        return html.escape(displayable(str(text)))

    rows = []
    for c in comparison.changes:
        words = verdict(c)
        css = {"changed": "watch", "within error": "ok"}.get(words, "none")
        error = f"±{_fmt(c.combined_error, c.unit)}" if c.combined_error is not None else "–"
        sides = ""
        if c.left_after is not None or c.left_before is not None:
            sides = (
                f'<br><span class="dim">L {e(_fmt(c.left_before, c.unit))} → {e(_fmt(c.left_after, c.unit))}, '
                f"R {e(_fmt(c.right_before, c.unit))} → {e(_fmt(c.right_after, c.unit))}</span>"
            )
        # Only the two verdicts are chips: a reason why nothing can be compared is a sentence,
        # which a pill would squeeze into a grey blob.
        said = (
            f'<span class="chip {css}">{e(words)}</span>' if css != "none" else f'<span class="dim">{e(words)}</span>'
        )
        rows.append(
            f'<tr><td>{e(c.label)}{sides}</td><td class="n">{e(_fmt(c.before, c.unit))}</td>'
            f'<td class="n">{e(_fmt(c.after, c.unit))}</td><td class="n"><strong>{e(_fmt(c.change, c.unit, True))}'
            f'</strong></td><td class="n">{e(error)}</td><td>{said}</td>'
            f"<td>{e(c.flag_before or '-')} → {e(c.flag_after or '-')}</td></tr>"
        )
    warnings = "".join(f'<p class="warn">{e(w)}</p>' for w in comparison.warnings)

    def where(side: dict) -> str:
        video = side.get("video")
        name = Path(video).name if isinstance(video, str) and video else side["report"]
        return f"{e(name)} ({e(side.get('view'))} view)"

    body = (
        f"<section><h2>Before and after</h2><p><strong>Before:</strong> {where(comparison.before)}<br>"
        f"<strong>After:</strong> {where(comparison.after)}</p>{warnings}"
        "<p>A change counts when it is larger than the combined expected error of the two measurements "
        "(√(e₁² + e₂²)); smaller differences cannot be told apart from measurement error.</p>"
        '<table><thead><tr><th>Measurement</th><th class="n">Before</th><th class="n">After</th>'
        '<th class="n">Change</th><th class="n">Expected error</th><th>Verdict</th><th>Flags</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
    return page(
        "formcam: before and after",
        body,
        heading="Before and after",
        subheading="What changed between two formcam analyses",
    )


def default_compare_dir(before: Path, after: Path) -> Path:
    """``./formcam-out/compare-<before>-vs-<after>/``, named after the analyses' folders."""

    def name(path: Path) -> str:
        path = Path(path)
        return (path if path.is_dir() else path.parent).resolve().name or "analysis"

    return Path.cwd() / "formcam-out" / f"compare-{name(before)}-vs-{name(after)}"


def write_comparison(comparison: Comparison, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write compare.json and compare.html into ``out_dir`` (created), atomically.

    Raises
    ------
    OutputExistsError
        If ``out_dir`` already holds a comparison and ``overwrite`` is false.
    UsageError
        If ``out_dir`` is a file.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"The output path {out_dir} is a file, not a folder; choose another with --out.")
    taken = [name for name in OUTPUT_NAMES if (out_dir / name).exists()]
    if taken and not overwrite:
        raise OutputExistsError(
            f"{out_dir} already holds a comparison ({', '.join(taken)}); "
            "pass --overwrite to replace it or choose --out."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_text_atomic(out_dir / "compare.json", json.dumps(comparison.to_json(), indent=2, allow_nan=False) + "\n"),
        write_text_atomic(out_dir / "compare.html", displayable(comparison_html(comparison))),
    ]
