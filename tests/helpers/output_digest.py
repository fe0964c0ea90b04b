"""Digest of formcam's outputs for a fixed set of inputs: proof that a refactor changed no number.

Usage::

    python -m tests.helpers.output_digest INPUT_DIR DIGEST.json        # analyse and write digests
    python -m tests.helpers.output_digest INPUT_DIR DIGEST.json --check # analyse and compare

``INPUT_DIR`` holds pose files (``*.npz``) and videos (``*.mp4``, symlinks welcome). Each is run
through the command line (``formcam analyze --no-video``), the stable interface, and the digest
keeps ``report.json`` (without the version field and the input's path), the CSVs and the pose
file's arrays, hashed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_VOLATILE_KEYS = ("formcam_version",)


def _report_digest(path: Path) -> str:
    report = json.loads(path.read_text())
    for key in _VOLATILE_KEYS:
        report.pop(key, None)
    report.get("video", {}).pop("path", None)
    return hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()


def _pose_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with np.load(path, allow_pickle=False) as archive:
        for key in sorted(archive.files):
            digest.update(key.encode())
            digest.update(np.ascontiguousarray(archive[key]).tobytes())
    return digest.hexdigest()


def digest_outputs(out_dir: Path) -> dict[str, str]:
    """Hash every output in ``out_dir`` that a refactor must leave unchanged."""
    digests = {}
    for path in sorted(out_dir.iterdir()):
        if path.name == "report.json":
            digests[path.name] = _report_digest(path)
        elif path.suffix == ".csv":
            digests[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.suffix == ".npz":
            digests[path.name] = _pose_digest(path)
    return digests


def analyse(source: Path, out_dir: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "formcam",
        "analyze",
        str(source),
        "--out",
        str(out_dir),
        "--format",
        "json,csv,pose",
        "--no-video",
        "--overwrite",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    return {
        "exit": done.returncode,
        "stderr": done.stderr.strip(),
        "outputs": digest_outputs(out_dir) if out_dir.exists() else {},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("digest", type=Path)
    parser.add_argument("--check", action="store_true", help="compare with DIGEST instead of writing it")
    args = parser.parse_args()
    sources = sorted(p for p in args.inputs.iterdir() if p.suffix in (".npz", ".mp4"))
    with tempfile.TemporaryDirectory() as scratch:
        found = {p.name: analyse(p, Path(scratch) / p.stem) for p in sources}
    if not args.check:
        args.digest.write_text(json.dumps(found, indent=1, sort_keys=True))
        print(f"{len(found)} inputs digested into {args.digest}")
        return 0
    expected = json.loads(args.digest.read_text())
    changed = sorted(name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name))
    for name in changed:
        print(f"changed: {name}: {expected.get(name)} -> {found.get(name)}")
    print(f"{len(found)} inputs, {len(changed)} changed")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
