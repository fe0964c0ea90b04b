"""Pose model files: the manifest of official downloads, lookup and fetching.

formcam runs MediaPipe's Pose Landmarker, whose ``.task`` model bundles do not
ship in any wheel. This module knows the official files (``models/manifest.json``,
shipped in the package as ``formcam/data/models.json``), finds an installed one
and downloads a missing one.

Lookup order for a model *name* (``lite``, ``full``, ``heavy``):

1. ``$FORMCAM_MODEL_DIR`` -- a folder holding ``pose_landmarker_<name>.task``
   (offline machines, CI);
2. ``<repo>/models`` -- only when formcam runs from a source checkout;
3. the user cache -- ``$FORMCAM_CACHE_DIR/models`` or the platform cache folder
   (``~/.cache/formcam/models`` on Linux), where :func:`fetch_model` installs.

Only downloads are checked against the manifest's size and SHA-256. A file the
user puts in a folder is used as it is: a rebuilt offline copy may legitimately
differ in bytes from the official file.

Environment variables
---------------------
FORMCAM_MODEL_DIR
    Folder searched first for model files.
FORMCAM_CACHE_DIR
    formcam's cache folder; models go to its ``models`` subfolder.
FORMCAM_MODEL_BASE_URL
    Mirror to download from instead of the official URL: a folder URL
    (``https://``, ``http://`` or ``file://``) holding the ``.task`` files under
    their manifest file names.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from formcam.errors import ModelNotFoundError

if TYPE_CHECKING:
    from formcam.pipeline import ProgressCallback  # for annotations only: the pipeline imports this module

VARIANTS = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"

MODEL_DIR_ENV = "FORMCAM_MODEL_DIR"
CACHE_DIR_ENV = "FORMCAM_CACHE_DIR"
BASE_URL_ENV = "FORMCAM_MODEL_BASE_URL"

# The folder above the package: a source checkout when it holds pyproject.toml
# and models/manifest.json; site-packages (or anything else) otherwise.
REPO_ROOT = Path(__file__).resolve().parents[2]

_MANIFEST_RESOURCE = "data/models.json"
_CHUNK_BYTES = 1 << 16
_TIMEOUT_S = 30.0
_HASH_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class ModelSpec:
    """One official pose model file.

    Attributes
    ----------
    name : str
        Variant name: ``"lite"``, ``"full"`` or ``"heavy"``.
    filename : str
        File name on disk, e.g. ``"pose_landmarker_full.task"``.
    url : str
        Official download URL.
    size : int or None
        Size in bytes, None where not known.
    sha256 : str or None
        Lower-case hex SHA-256 of the official file, None where not known.
    license : str
        SPDX licence identifier of the model.
    """

    name: str
    filename: str
    url: str
    size: int | None
    sha256: str | None
    license: str


# --------------------------------------------------------------------------- manifest


def _manifest_text() -> str:
    """Read the manifest from the package, falling back to the checkout's copy.

    The fallback covers checkouts where ``formcam/data/models.json`` is not a
    working symlink (Git on Windows without symlink support writes a text file
    holding the link target).
    """
    candidates = [resources.files("formcam").joinpath(_MANIFEST_RESOURCE)]
    candidates.append(REPO_ROOT / "models" / "manifest.json")
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        if text.lstrip().startswith("{"):
            return text
    raise ModelNotFoundError(
        "formcam's model manifest (formcam/data/models.json) is missing from this installation; reinstall formcam."
    )


def load_manifest() -> dict[str, ModelSpec]:
    """Return the official pose models, keyed by variant name.

    Returns
    -------
    dict of str to ModelSpec
        One entry per variant, in manifest order (lite, full, heavy).
    """
    models = json.loads(_manifest_text())["models"]
    return {
        name: ModelSpec(
            name=name,
            filename=entry["filename"],
            url=entry["url"],
            size=entry.get("size"),
            sha256=entry["sha256"].lower() if entry.get("sha256") else None,
            license=entry["license"],
        )
        for name, entry in models.items()
    }


def _spec(name: str) -> ModelSpec:
    manifest = load_manifest()
    if name not in manifest:
        raise ModelNotFoundError(
            f"Unknown pose model {name!r}; use one of {', '.join(manifest)} or the path of a .task file."
        )
    return manifest[name]


# --------------------------------------------------------------------------- lookup


def cache_dir() -> Path:
    """Return the folder where downloaded models are installed.

    ``$FORMCAM_CACHE_DIR/models`` when set, else the platform's user cache:
    ``%LOCALAPPDATA%\\formcam\\models`` on Windows, ``~/Library/Caches/formcam/models``
    on macOS, ``${XDG_CACHE_HOME:-~/.cache}/formcam/models`` elsewhere.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser() / "models"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "formcam" / "models"


def _checkout_models_dir() -> Path | None:
    """Return ``<repo>/models`` when formcam runs from a source checkout."""
    models = REPO_ROOT / "models"
    is_checkout = (REPO_ROOT / "pyproject.toml").is_file() and (models / "manifest.json").is_file()
    return models if is_checkout else None


def search_dirs() -> list[Path]:
    """Return the folders searched for a model name, in lookup order.

    Returns
    -------
    list of Path
        ``$FORMCAM_MODEL_DIR`` (if set), ``<repo>/models`` (if running from a
        checkout), then :func:`cache_dir`. Folders need not exist.
    """
    folders = []
    env_dir = os.environ.get(MODEL_DIR_ENV)
    if env_dir:
        folders.append(Path(env_dir).expanduser())
    checkout = _checkout_models_dir()
    if checkout is not None:
        folders.append(checkout)
    folders.append(cache_dir())
    return folders


def _find_installed(spec: ModelSpec) -> Path | None:
    for folder in search_dirs():
        candidate = folder / spec.filename
        if candidate.is_file():
            return candidate
    return None


def _looks_like_path(model: str) -> bool:
    separators = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return any(sep in model for sep in separators) or model.endswith(".task")


def _resolve_path(model: str) -> Path:
    path = Path(model).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        raise ModelNotFoundError(
            f"{path} is a folder, not a pose model file; pass the .task file inside it, "
            f"or set {MODEL_DIR_ENV} to the folder and pass a model name."
        )
    raise ModelNotFoundError(
        f"Pose model file {path} does not exist; check the path, or pass a model name ({', '.join(VARIANTS)})."
    )


def resolve_model(model: str | None = None) -> Path:
    """Return the path of the pose model file to use.

    Parameters
    ----------
    model : str or None
        A variant name (``"lite"``, ``"full"``, ``"heavy"``), searched in
        :func:`search_dirs` order; or the path of a ``.task`` file, used as it
        is. None means :data:`DEFAULT_VARIANT`. Anything that exists as a file,
        contains a path separator or ends in ``.task`` is taken as a path.

    Returns
    -------
    Path
        An existing file. Its bytes are not checked: user-supplied model files
        may legitimately differ from the official downloads.

    Raises
    ------
    ModelNotFoundError
        The model is not installed, the path does not exist, or
        ``$FORMCAM_MODEL_DIR`` names no folder; the message says how to fix it.
    """
    model = DEFAULT_VARIANT if model is None else model
    if model not in VARIANTS and (_looks_like_path(model) or Path(model).expanduser().is_file()):
        return _resolve_path(model)
    spec = _spec(model)

    env_dir = os.environ.get(MODEL_DIR_ENV)
    if env_dir and not Path(env_dir).expanduser().is_dir():
        # A typo here would otherwise silently fall through to another copy.
        raise ModelNotFoundError(
            f"{MODEL_DIR_ENV} is set to {env_dir}, which is not a folder; point it at "
            f"the folder holding {spec.filename} or unset it."
        )
    found = _find_installed(spec)
    if found is None:
        raise ModelNotFoundError(
            f"The {spec.name!r} pose model is not installed; run `formcam models fetch "
            f"{spec.name}`, or on a machine without internet copy {spec.filename} into "
            f"a folder and set {MODEL_DIR_ENV} to it."
        )
    return found


# --------------------------------------------------------------------------- verification


def file_sha256(path: str | os.PathLike, chunk_bytes: int = _HASH_BLOCK_BYTES) -> str:
    """Lower-case hex SHA-256 of a file's bytes, read in chunks so memory stays flat for any size.

    Model files are checked with it, and a batch's clips (whether one has changed since it was analysed).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, spec: ModelSpec) -> bool | None:
    """Check a file against the official size and SHA-256.

    Returns
    -------
    bool or None
        True if every known value matches, False if one differs, None when the
        manifest knows neither size nor hash.
    """
    if spec.size is None and spec.sha256 is None:
        return None
    if spec.size is not None and path.stat().st_size != spec.size:
        return False
    return spec.sha256 is None or file_sha256(path) == spec.sha256


# --------------------------------------------------------------------------- download


def download_url(spec: ModelSpec) -> str:
    """Return where to download a model: ``$FORMCAM_MODEL_BASE_URL/<filename>`` or the official URL."""
    base = os.environ.get(BASE_URL_ENV)
    return f"{base.rstrip('/')}/{spec.filename}" if base else spec.url


def _bytes_counter(stage: str, total: int | None, on_progress: ProgressCallback | None) -> Callable[[int], None]:
    """``on_chunk(n)`` adding ``n`` bytes to a running count reported to ``on_progress`` (which hears 0 at once)."""
    if on_progress is None:
        return lambda n: None
    received = 0

    def on_chunk(n: int) -> None:
        nonlocal received
        received += n
        on_progress(stage, received, total)

    on_progress(stage, 0, total)
    return on_chunk


def _stream_to_file(
    response: BinaryIO, file: IO[bytes], digest, on_chunk: Callable[[int], None], limit: int | None
) -> int:
    """Copy a response body into a file, hashing it; return the byte count.

    Stops early once more than ``limit`` bytes arrived, so a wrong URL cannot
    fill the disk.
    """
    received = 0
    for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
        file.write(chunk)
        digest.update(chunk)
        received += len(chunk)
        on_chunk(len(chunk))
        if limit is not None and received > limit:
            break
    return received


def _download(
    spec: ModelSpec, url: str, part: IO[bytes], on_progress: ProgressCallback | None
) -> tuple[int, str, int | None]:
    """Download ``url`` into the open ``.part`` file; return (bytes, sha256, Content-Length).

    ``on_progress`` is told the bytes received, as stage ``spec.filename``.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "formcam"})
    digest = hashlib.sha256()
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        header = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        announced = int(header) if header and header.isdigit() else None
        total = spec.size if spec.size is not None else announced
        on_chunk = _bytes_counter(spec.filename, total, on_progress)
        received = _stream_to_file(response, part, digest, on_chunk, limit=total)
        if on_progress is not None and total is None:  # the count reached closes the stage
            on_progress(spec.filename, received, received)
        part.flush()
        os.fsync(part.fileno())
    return received, digest.hexdigest(), announced


def _check_download(spec: ModelSpec, url: str, received: int, sha256: str, announced: int | None) -> None:
    """Raise ModelNotFoundError unless a finished download is complete and official."""
    if spec.size is not None and received > spec.size:
        raise ModelNotFoundError(
            f"The file at {url} is larger than the published {spec.size} bytes of the "
            f"{spec.name!r} pose model and was discarded; check the URL or mirror."
        )
    # http.client does not raise when a server closes early, so compare counts here.
    if announced is not None and received < announced:
        raise ModelNotFoundError(
            f"The download of the {spec.name!r} pose model from {url} stopped after "
            f"{received} of {announced} bytes and was discarded; run the fetch again."
        )
    if spec.size is not None and received != spec.size:
        raise ModelNotFoundError(
            f"The {spec.name!r} pose model downloaded from {url} has {received} bytes "
            f"instead of the published {spec.size} and was discarded; check the URL or "
            "mirror and run the fetch again."
        )
    if spec.sha256 is not None and sha256 != spec.sha256:
        raise ModelNotFoundError(
            f"The {spec.name!r} pose model downloaded from {url} does not match its "
            f"published SHA-256 (got {sha256[:12]}..., expected {spec.sha256[:12]}...) "
            "and was discarded; check the URL or mirror and run the fetch again."
        )


def fetch_model(
    name: str,
    *,
    dest_dir: Path | None = None,
    progress: bool = True,
    url: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Download an official pose model, verify it and install it.

    The file is written to a temporary ``<filename>.<random>.part`` in the
    destination folder, checked against the manifest's size and SHA-256 (those
    that are known) and only then renamed into place, so an interrupted or bad
    download never leaves a file that lookup would pick up.

    Parameters
    ----------
    name : str
        Variant name: ``"lite"``, ``"full"`` or ``"heavy"``.
    dest_dir : Path or None
        Folder to install into; None means :func:`cache_dir`.
    progress : bool
        Report the download to ``on_progress``.
    url : str or None
        Download from here instead of ``$FORMCAM_MODEL_BASE_URL`` or the
        official URL (mirrors, tests).
    on_progress : formcam.pipeline.ProgressCallback, optional
        Told the bytes received, as stage ``<filename>`` (the command line
        draws a bar from it); formcam itself prints nothing.

    Returns
    -------
    Path
        The installed file. If a file that verifies is already there, it is
        returned without downloading; one that does not verify is replaced.

    Raises
    ------
    ModelNotFoundError
        Unknown name, folder not writable, network error, truncated download,
        or size/SHA-256 mismatch. All mean "no usable model was installed" and
        share the fix (retry, another mirror, or ``$FORMCAM_MODEL_DIR``), so
        they share one error class and exit code 2.
    KeyboardInterrupt
        Re-raised after the partial file is removed, so the command line exits
        with 130 (interrupted).
    """
    spec = _spec(name)
    folder = Path(dest_dir).expanduser() if dest_dir is not None else cache_dir()
    target = folder / spec.filename
    if target.is_file() and verify_file(target, spec) is not False:
        return target

    source = url or download_url(spec)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        part = tempfile.NamedTemporaryFile(dir=folder, prefix=f"{spec.filename}.", suffix=".part", delete=False)
    except OSError as error:
        raise ModelNotFoundError(
            f"Cannot write to {folder} ({error.strerror or error}); pass another "
            f"folder with --dest or set {CACHE_DIR_ENV}."
        ) from error

    part_path = Path(part.name)
    installed = False
    try:
        with part:
            received, sha256, announced = _download(spec, source, part, on_progress if progress else None)
        _check_download(spec, source, received, sha256, announced)
        os.replace(part_path, target)
        installed = True
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise ModelNotFoundError(
            f"Could not download the {spec.name!r} pose model from {source} "
            f"({_describe(error)}); check the connection and run the fetch again, or "
            f"copy {spec.filename} into a folder and set {MODEL_DIR_ENV} to it."
        ) from error
    finally:
        if not installed:
            part_path.unlink(missing_ok=True)
    return target


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


# --------------------------------------------------------------------------- listing


def _location(path: Path) -> str:
    env_dir = os.environ.get(MODEL_DIR_ENV)
    if env_dir and path.parent == Path(env_dir).expanduser():
        return MODEL_DIR_ENV
    if path.parent == _checkout_models_dir():
        return "repo"
    return "cache"


def list_models() -> list[dict]:
    """Describe every official model and where it is installed.

    Returns
    -------
    list of dict
        One dict per variant with keys ``name``, ``filename``, ``size`` (bytes
        or None), ``license``, ``url``, ``path`` (the file lookup would use, or
        None), ``location`` (``"FORMCAM_MODEL_DIR"``, ``"repo"``, ``"cache"`` or
        None) and ``verified``: True if the installed file is the official one,
        False if it differs (e.g. a rebuilt offline copy, which still works),
        None if not installed or nothing is known to check against.
    """
    rows = []
    for spec in load_manifest().values():
        path = _find_installed(spec)
        rows.append(
            {
                "name": spec.name,
                "filename": spec.filename,
                "size": spec.size,
                "license": spec.license,
                "url": spec.url,
                "path": path,
                "location": _location(path) if path is not None else None,
                "verified": verify_file(path, spec) if path is not None else None,
            }
        )
    return rows
