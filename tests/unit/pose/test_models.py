"""Pose model manifest, lookup, download and the ``formcam models`` commands."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import socket
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formcam.cli.models import app
from formcam.errors import ModelNotFoundError, UsageError
from formcam.pose import models
from formcam.pose.models import ModelSpec
from tests.conftest import REPO

FILENAME = "pose_landmarker_lite.task"
PAYLOAD = os.urandom(300_000)  # several download chunks
PAYLOAD_SIZE = len(PAYLOAD)
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No env folder, a fake checkout and a private cache, all under tmp_path."""
    monkeypatch.delenv(models.MODEL_DIR_ENV, raising=False)
    monkeypatch.delenv(models.BASE_URL_ENV, raising=False)
    monkeypatch.setenv(models.CACHE_DIR_ENV, str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\nname = 'formcam'\n")
    (repo / "models" / "manifest.json").write_text("{}")
    monkeypatch.setattr(models, "REPO_ROOT", repo)
    return tmp_path


@pytest.fixture
def fake_manifest(monkeypatch):
    """Make 'lite' an official model whose bytes are PAYLOAD."""

    def spec(size=PAYLOAD_SIZE, sha256=PAYLOAD_SHA256):
        entry = ModelSpec("lite", FILENAME, "http://invalid.example/" + FILENAME, size, sha256, "Apache-2.0")
        monkeypatch.setattr(models, "load_manifest", lambda: {"lite": entry})
        return entry

    spec()
    return spec


class _Server:
    """Serve bytes on 127.0.0.1; ``drop_after`` cuts the connection half-way."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.drop_after: int | None = None
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = server.files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                sent = body if server.drop_after is None else body[: server.drop_after]
                self.wfile.write(sent)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def url(self, name: str = FILENAME) -> str:
        return f"{self.base_url}/{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server()
    srv.files[FILENAME] = PAYLOAD
    yield srv
    srv.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and len(re.findall(r"\.\s+[A-Z]", message)) == 0


def _put(folder: Path, data: bytes = b"model", name: str = FILENAME) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


# --------------------------------------------------------------------------- manifest


def test_manifest_lists_the_official_models():
    manifest = models.load_manifest()
    assert tuple(manifest) == models.VARIANTS
    assert models.DEFAULT_VARIANT in manifest
    for name, spec in manifest.items():
        assert spec.name == name
        assert spec.filename == f"pose_landmarker_{name}.task"
        assert spec.url == (
            "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
            f"pose_landmarker_{name}/float16/latest/pose_landmarker_{name}.task"
        )
        assert spec.license == "Apache-2.0"
        assert spec.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
    full = manifest["full"]
    assert full.size == 9_398_198
    assert full.sha256 == "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad"


def test_package_manifest_is_the_repository_manifest():
    # One source of truth: the packaged copy must be the repo file, not a duplicate.
    packaged = REPO / "formcam" / "data" / "models.json"
    assert packaged.resolve().samefile(REPO / "models" / "manifest.json")
    assert json.loads(packaged.read_text()) == json.loads((REPO / "models" / "manifest.json").read_text())


# --------------------------------------------------------------------------- lookup


def test_lookup_order_env_folder_then_checkout_then_cache(isolated, monkeypatch, fake_manifest):
    env_dir, checkout, cache = isolated / "env", isolated / "repo" / "models", isolated / "cache" / "models"
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(env_dir))
    assert models.search_dirs() == [env_dir, checkout, cache]

    in_env, in_checkout, in_cache = _put(env_dir), _put(checkout), _put(cache)
    assert models.resolve_model("lite") == in_env
    in_env.unlink()
    assert models.resolve_model("lite") == in_checkout
    in_checkout.unlink()
    assert models.resolve_model("lite") == in_cache


def test_installed_wheel_skips_repo_models_folder(isolated):
    (isolated / "repo" / "pyproject.toml").unlink()  # site-packages has no pyproject.toml
    assert models.search_dirs() == [isolated / "cache" / "models"]


def test_default_cache_dir_follows_xdg(isolated, monkeypatch):
    if sys.platform in ("win32", "darwin"):
        pytest.skip("XDG cache layout is the Linux/BSD default")
    monkeypatch.delenv(models.CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "xdg"))
    assert models.cache_dir() == isolated / "xdg" / "formcam" / "models"


def test_none_means_default_variant(isolated):
    installed = _put(isolated / "cache" / "models", name=f"pose_landmarker_{models.DEFAULT_VARIANT}.task")
    assert models.resolve_model() == installed


def test_explicit_paths_are_used_as_given(isolated, monkeypatch):
    task = _put(isolated / "elsewhere", name="custom.task")
    no_suffix = _put(isolated / "elsewhere", name="model.bin")
    assert models.resolve_model(str(task)) == task
    assert models.resolve_model(str(no_suffix)) == no_suffix
    monkeypatch.chdir(isolated / "elsewhere")
    assert models.resolve_model("custom.task") == Path("custom.task")


def test_user_supplied_file_is_not_hash_checked(isolated, monkeypatch):
    # The offline copy in shared/ differs from the official bytes and must still be used.
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(isolated / "env"))
    odd = _put(isolated / "env", b"not the official bytes", "pose_landmarker_full.task")
    assert models.resolve_model("full") == odd


def test_missing_model_says_how_to_get_it(isolated):
    with pytest.raises(ModelNotFoundError) as caught:
        models.resolve_model("full")
    message = str(caught.value)
    assert "`formcam models fetch full`" in message
    assert "FORMCAM_MODEL_DIR" in message and "pose_landmarker_full.task" in message
    assert _one_sentence(message)
    assert caught.value.exit_code == 2


def test_missing_path_is_one_sentence(isolated):
    with pytest.raises(ModelNotFoundError) as caught:
        models.resolve_model(str(isolated / "nowhere" / "model.task"))
    assert "does not exist" in str(caught.value) and _one_sentence(str(caught.value))


def test_env_folder_that_does_not_exist_is_an_error(isolated, monkeypatch):
    _put(isolated / "cache" / "models", name="pose_landmarker_full.task")
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(isolated / "typo"))
    with pytest.raises(ModelNotFoundError, match="FORMCAM_MODEL_DIR is set to"):
        models.resolve_model("full")


def test_unknown_name_is_a_usage_error(isolated):
    with pytest.raises(UsageError, match="Unknown pose model 'medium'"):
        models.resolve_model("medium")


def test_shared_offline_model_resolves_via_env(model_path, monkeypatch):
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(model_path.parent))
    assert models.resolve_model("full") == model_path
    assert models.resolve_model() == model_path


# --------------------------------------------------------------------------- fetch


def test_fetch_downloads_verifies_and_installs(isolated, fake_manifest, server):
    path = models.fetch_model("lite", url=server.url(), progress=True)
    assert path == isolated / "cache" / "models" / FILENAME
    assert path.read_bytes() == PAYLOAD
    assert _leftovers(path.parent) == [FILENAME]
    assert models.resolve_model("lite") == path


def test_fetch_uses_base_url_env_and_dest(isolated, monkeypatch, fake_manifest, server):
    monkeypatch.setenv(models.BASE_URL_ENV, server.base_url + "/")
    path = models.fetch_model("lite", dest_dir=isolated / "dest", progress=False)
    assert path == isolated / "dest" / FILENAME and path.read_bytes() == PAYLOAD
    assert server.requests == 1


def test_fetch_from_file_url_mirror(isolated, monkeypatch, fake_manifest):
    mirror = isolated / "mirror"
    _put(mirror, PAYLOAD)
    monkeypatch.setenv(models.BASE_URL_ENV, mirror.as_uri())
    assert models.fetch_model("lite", progress=False).read_bytes() == PAYLOAD


def test_already_installed_file_is_not_downloaded_again(isolated, fake_manifest, server):
    installed = _put(isolated / "cache" / "models", PAYLOAD)
    assert models.fetch_model("lite", url=server.url(), progress=False) == installed
    assert server.requests == 0


def test_corrupt_installed_file_is_replaced(isolated, fake_manifest, server):
    _put(isolated / "cache" / "models", b"x" * len(PAYLOAD))
    path = models.fetch_model("lite", url=server.url(), progress=False)
    assert path.read_bytes() == PAYLOAD and server.requests == 1


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        (b"y" * len(PAYLOAD), "SHA-256"),  # right size, wrong bytes
        (PAYLOAD[:-1000], "instead of the published"),  # complete response, wrong size
        (PAYLOAD + b"extra" * 20_000, "larger than the published"),
    ],
)
def test_bad_download_leaves_no_file(isolated, fake_manifest, server, served, expected):
    server.files[FILENAME] = served
    with pytest.raises(ModelNotFoundError, match=expected) as caught:
        models.fetch_model("lite", url=server.url(), progress=False)
    assert _one_sentence(str(caught.value))
    assert _leftovers(isolated / "cache" / "models") == []


def test_dropped_connection_leaves_no_file(isolated, fake_manifest, server):
    server.drop_after = len(PAYLOAD) // 2
    with pytest.raises(ModelNotFoundError, match="stopped after"):
        models.fetch_model("lite", url=server.url(), progress=False)
    assert _leftovers(isolated / "cache" / "models") == []


def test_dropped_connection_is_caught_even_without_known_size(isolated, fake_manifest, server):
    fake_manifest(size=None, sha256=None)
    server.drop_after = 1000
    with pytest.raises(ModelNotFoundError, match=f"stopped after 1000 of {len(PAYLOAD)} bytes"):
        models.fetch_model("lite", url=server.url(), progress=False)
    assert _leftovers(isolated / "cache" / "models") == []


def test_http_error_and_refused_connection_raise_one_sentence(isolated, fake_manifest, server):
    with pytest.raises(ModelNotFoundError, match="HTTP 404") as caught:
        models.fetch_model("lite", url=server.url("missing.task"), progress=False)
    assert _one_sentence(str(caught.value))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with pytest.raises(ModelNotFoundError, match="Could not download"):
        models.fetch_model("lite", url=f"http://127.0.0.1:{closed_port}/{FILENAME}", progress=False)
    assert _leftovers(isolated / "cache" / "models") == []


def test_ctrl_c_removes_partial_file_and_propagates(isolated, monkeypatch, fake_manifest, server):
    def interrupted(response, file, digest, on_chunk, limit):
        file.write(response.read(1000))
        raise KeyboardInterrupt

    monkeypatch.setattr(models, "_stream_to_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        models.fetch_model("lite", url=server.url(), progress=False)
    assert _leftovers(isolated / "cache" / "models") == []


def test_unwritable_destination_is_one_sentence(isolated, fake_manifest, server):
    blocker = isolated / "file-not-folder"
    blocker.write_text("")
    with pytest.raises(ModelNotFoundError, match="Cannot write to"):
        models.fetch_model("lite", dest_dir=blocker / "sub", url=server.url(), progress=False)


# --------------------------------------------------------------------------- list


def test_list_models_reports_install_state(isolated, monkeypatch):
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(isolated / "env"))
    _put(isolated / "env", b"rebuilt offline copy", "pose_landmarker_full.task")
    rows = {row["name"]: row for row in models.list_models()}
    assert list(rows) == list(models.VARIANTS)
    assert rows["full"]["path"] == isolated / "env" / "pose_landmarker_full.task"
    assert rows["full"]["location"] == "FORMCAM_MODEL_DIR"
    assert rows["full"]["verified"] is False
    assert rows["full"]["size"] == 9_398_198
    assert rows["lite"]["path"] is None and rows["lite"]["verified"] is None


def test_list_models_marks_official_bytes_verified(isolated, fake_manifest):
    _put(isolated / "cache" / "models", PAYLOAD)
    (row,) = models.list_models()
    assert row["verified"] is True and row["location"] == "cache"


# --------------------------------------------------------------------------- CLI


def test_cli_list_and_path(isolated, monkeypatch):
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(isolated / "env"))
    installed = _put(isolated / "env", b"model", "pose_landmarker_full.task")
    runner = CliRunner()

    listing = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    for name in models.VARIANTS:
        assert name in listing.stdout
    assert str(installed) in listing.stdout and "not installed" in listing.stdout

    found = runner.invoke(app, ["path", "full"])
    assert found.exit_code == 0 and found.stdout.strip() == str(installed)


def test_cli_path_missing_model_is_one_line_exit_2(isolated):
    result = CliRunner().invoke(app, ["path", "heavy"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "formcam models fetch heavy" in result.stderr


def test_cli_fetch_installs_and_prints_path(isolated, fake_manifest, server):
    result = CliRunner().invoke(
        app, ["fetch", "lite", "--dest", str(isolated / "d"), "-q"], env={models.BASE_URL_ENV: server.base_url}
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(isolated / "d" / FILENAME)
    assert (isolated / "d" / FILENAME).read_bytes() == PAYLOAD


def test_cli_fetch_failure_is_one_line(isolated, fake_manifest, server):
    server.files[FILENAME] = b"z" * len(PAYLOAD)
    result = CliRunner().invoke(app, ["fetch", "lite", "-q"], env={models.BASE_URL_ENV: server.base_url})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "SHA-256" in result.stderr
