"""``--format``: the output kinds a user names, and the files each one writes."""

from __future__ import annotations

from formcam.errors import UsageError

__all__ = ["DEFAULT_FORMATS", "FORMATS", "outputs_for"]

#: Output kind -> the files it writes into the output folder.
FORMATS: dict[str, tuple[str, ...]] = {
    "video": ("annotated.mp4",),
    "json": ("report.json",),
    "html": ("report.html",),
    "csv": ("frames.csv", "steps.csv"),
    "pose": ("pose.npz",),
}
#: What ``formcam analyze`` writes unless told otherwise: everything.
DEFAULT_FORMATS = ("video", "json", "html", "csv", "pose")


def outputs_for(formats: str | None = None, *, no_video: bool = False) -> frozenset[str]:
    """The output file names for a ``--format`` value.

    Parameters
    ----------
    formats : str, optional
        Comma-separated kinds from :data:`FORMATS` (``"video,json,html"``), or
        ``"all"``; None gives :data:`DEFAULT_FORMATS`.
    no_video : bool
        ``--no-video``: leave out the annotated video whatever ``formats`` says.

    Returns
    -------
    frozenset of str
        File names such as ``report.json``.

    Raises
    ------
    UsageError
        For an unknown kind, or when nothing would be written.
    """
    if formats is None or formats.strip().lower() == "all":
        kinds = list(DEFAULT_FORMATS)
    else:
        kinds = [k.strip().lower() for k in formats.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in FORMATS]
    if unknown:
        raise UsageError(
            f"--format does not know '{unknown[0]}'; choose from {', '.join(FORMATS)} (comma-separated), or all."
        )
    outputs = frozenset(name for kind in kinds for name in FORMATS[kind])
    if no_video:
        outputs -= {"annotated.mp4"}
    if not outputs:
        raise UsageError("--format chose nothing to write; name at least one of " + ", ".join(FORMATS) + ".")
    return outputs
