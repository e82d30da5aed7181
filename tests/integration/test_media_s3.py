"""Media on S3: with MEDIA_STORAGE_URL set, uploads go to the bucket (through moto's real HTTP S3 server on
loopback), not to DATA_DIR; rows from before still read from disk; a bucket that is missing or an endpoint
that is down is named in readiness and `quillcast check`, and an upload then fails naming the file (503),
never with a 500."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.api.main import create_api
from app.connectors.base import MediaItem, PermanentError, TransientError
from app.connectors.registry import NETWORK_LIMITS
from app.core import storage
from app.services.errors import NotFound, Unavailable
from app.services.planning import media
from tests.accounts_support import access_token_for
from tests.factories import make_user, make_workspace
from tests.s3_support import MotoS3, environment
from tests.support import ROOT, free_port


def png(size=(48, 32), colour="orange") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def s3():
    server = MotoS3().start()
    yield server
    server.stop()


@pytest.fixture()
def bucket(s3, app_env, tmp_path):
    """A fresh bucket that this test's settings point at, and a DATA_DIR that must stay without media."""
    name = s3.make_bucket()
    with environment(**s3.env(name), DATA_DIR=str(tmp_path)):
        yield name


@pytest.fixture()
def owner(session):
    return make_user(session)


@pytest.fixture()
def workspace(session, owner):
    return make_workspace(session, owner)


def test_an_upload_is_kept_in_the_bucket_read_back_and_deleted(s3, bucket, session, owner, workspace,
                                                               tmp_path):
    data = png()
    asset = media.store_upload(session, user_id=owner.id, workspace_id=workspace.id, filename="sun.png",
                               data=data, alt_text="An orange square")
    digest = hashlib.sha256(data).hexdigest()
    # The row keeps the key only; the bucket and prefix come from the setting.
    assert asset.storage_path == f"{workspace.id}/{digest}.png"
    assert s3.keys(bucket) == [f"media/{workspace.id}/{digest}.png"]
    stored = s3.client().get_object(Bucket=bucket, Key=f"media/{workspace.id}/{digest}.png")
    assert stored["Body"].read() == data and stored["ContentType"] == "image/png"
    assert not (tmp_path / "media").exists()

    assert storage.read(asset.storage_path) == data
    with storage.open_stream(asset.storage_path) as stream:
        assert stream.read() == data
    thumb = media.thumbnail(session, user_id=owner.id, workspace_id=workspace.id, asset_id=asset.id)
    assert thumb.startswith("data:image/jpeg;base64,")

    storage.delete(asset.storage_path)
    assert not storage.exists(asset.storage_path) and s3.keys(bucket) == []
    with pytest.raises(storage.StorageMissing):
        storage.read(asset.storage_path)
    with pytest.raises(NotFound) as gone:
        media.thumbnail(session, user_id=owner.id, workspace_id=workspace.id, asset_id=asset.id)
    assert gone.value.message == "sun.png is no longer in media storage: remove it and attach it again"
    # A connector asked for an image that is gone fails the target, naming the image.
    with pytest.raises(PermanentError) as err:
        MediaItem(asset.storage_path, "image/png", name="sun.png").read()
    assert "sun.png is no longer in media storage" in err.value.message


def test_an_image_too_large_for_a_network_is_fitted_once_and_kept_in_the_bucket(s3, bucket, session, owner,
                                                                                workspace, tmp_path):
    noisy = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    buf = io.BytesIO()
    noisy.save(buf, "PNG")
    asset = media.store_upload(session, user_id=owner.id, workspace_id=workspace.id, filename="noise.png",
                               data=buf.getvalue())
    item = MediaItem(asset.storage_path, "image/png", size_bytes=asset.size_bytes, name="noise.png")
    fitted = media.fit_for_network(item, NETWORK_LIMITS["bluesky"])
    assert fitted.content_type == "image/jpeg" and fitted.size_bytes <= 1_000_000
    assert fitted.path.startswith("derived/") and f"media/{fitted.path}" in s3.keys(bucket)
    assert len(fitted.read()) == fitted.size_bytes
    again = media.fit_for_network(item, NETWORK_LIMITS["bluesky"])
    assert again == fitted and len(s3.keys(bucket)) == 2  # the copy is reused, not made again
    assert not (tmp_path / "media").exists()


def test_a_row_from_before_the_bucket_still_reads_from_disk(bucket, tmp_path):
    old = tmp_path / "old-media" / "cat.png"
    old.parent.mkdir()
    old.write_bytes(png(colour="grey"))
    assert MediaItem(str(old), "image/png").read() == old.read_bytes()
    assert storage.exists(str(old))


def test_an_upload_through_the_api_lands_in_the_bucket_and_not_on_disk(s3, bucket, owner, workspace,
                                                                       tmp_path):
    client = TestClient(create_api())
    headers = {"Authorization": f"Bearer {access_token_for(owner.id)}"}
    data = png(colour="purple")
    r = client.post(f"/api/workspaces/{workspace.id}/media", headers=headers,
                    files={"file": ("plum.png", data, "image/png")}, data={"alt_text": "Purple"})
    assert r.status_code == 201, r.text
    assert s3.keys(bucket) == [f"media/{workspace.id}/{hashlib.sha256(data).hexdigest()}.png"]
    assert not (tmp_path / "media").exists()
    ready = {c["name"]: c for c in client.get("/api/ready").json()["checks"]}
    assert ready["media"]["ok"] and ready["media"]["detail"] == f"bucket s3://{bucket}/media at {s3.url} answers"


def _upload(owner, workspace, name="plum.png"):
    client = TestClient(create_api())
    headers = {"Authorization": f"Bearer {access_token_for(owner.id)}"}
    return client, client.post(f"/api/workspaces/{workspace.id}/media", headers=headers,
                               files={"file": (name, png(), "image/png")})


def test_a_missing_bucket_is_named_by_readiness_and_an_upload_fails_naming_the_file(s3, app_env, owner,
                                                                                    workspace, tmp_path):
    with environment(**s3.env("no-such-bucket"), DATA_DIR=str(tmp_path)):
        client, r = _upload(owner, workspace)
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "unavailable"
        assert r.json()["message"].startswith("plum.png could not be stored: media storage is not working right now")
        ready = {c["name"]: c for c in client.get("/api/ready").json()["checks"]}
        assert not ready["media"]["ok"]
        assert ready["media"]["detail"].startswith(f"the bucket no-such-bucket does not exist at {s3.url}")


def test_an_endpoint_that_is_down_is_named_and_a_publish_would_be_retried(s3, app_env, owner, workspace,
                                                                         tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    with environment(**{**s3.env("any-bucket"), "MEDIA_S3_ENDPOINT_URL": dead}, DATA_DIR=str(tmp_path)):
        with pytest.raises(storage.StorageError) as err:
            storage.check()
        assert str(err.value).startswith(f"the S3 endpoint {dead} did not answer")
        client, r = _upload(owner, workspace, "dune.png")
        assert r.status_code == 503 and r.json()["message"].startswith("dune.png could not be stored")
        with pytest.raises(TransientError) as terr:
            MediaItem("ws/abc.png", "image/png", name="dune.png").read()
        assert "media storage did not give the image dune.png" in terr.value.message


def test_the_composer_says_which_file_was_not_stored(s3, app_env, owner, workspace, session, tmp_path):
    from app.services.planning import compose

    with environment(**s3.env("no-such-bucket"), DATA_DIR=str(tmp_path)), pytest.raises(Unavailable) as err:
        compose.attach_image(session, owner.id, workspace.id, "Urlaub.png", png())
    assert err.value.message.startswith("Urlaub.png could not be stored")


def test_quillcast_check_names_the_missing_bucket(s3, app_env, tmp_path):
    env = {**os.environ, **s3.env("no-such-bucket"), "DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "app.cli", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    [line] = [ln for ln in done.stdout.splitlines() if " media " in ln]
    assert line.startswith("DOWN media") and "the bucket no-such-bucket does not exist" in line


def test_a_malformed_location_stops_the_process_at_start(app_env, tmp_path):
    env = {**os.environ, "MEDIA_STORAGE_URL": "https://my-bucket.example/media", "DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "from app.core.config import get_settings; get_settings()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "MEDIA_STORAGE_URL 'https://my-bucket.example/media' is not an S3 location" in done.stderr


def test_the_default_stays_the_local_directory(app_env, tmp_path, session, owner, workspace):
    with environment(MEDIA_STORAGE_URL="", DATA_DIR=str(tmp_path)):
        asset = media.store_upload(session, user_id=owner.id, workspace_id=workspace.id, filename="a.png",
                                   data=png(colour="olive"))
        assert Path(asset.storage_path).is_file() and tmp_path / "media" in Path(asset.storage_path).parents
        assert storage.check() == f"local directory {tmp_path / 'media'}"


def test_a_backup_says_the_media_is_in_the_bucket_not_in_it(s3, bucket):
    from app.services.operations import backups

    assert backups.media_note() == (f"uploaded media is not in the backup: it is in s3://{bucket}/media at "
                                    f"{s3.url}; the bucket keeps its own copies (versioning; replicate it "
                                    "for another region)")


def test_web_and_worker_say_at_start_when_the_bucket_cannot_be_used(s3, app_env, tmp_path):
    env = {**os.environ, **s3.env("no-such-bucket"), "DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "from app.cli.processes import announce_media_store as a; a()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0  # the process goes on: everything but images works
    assert ("warning: media storage cannot be used, so uploads and publishing images will fail: the bucket "
            "no-such-bucket does not exist") in done.stderr


def test_a_local_directory_that_cannot_be_written_is_named(app_env, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where DATA_DIR should be")
    with environment(MEDIA_STORAGE_URL="", DATA_DIR=str(blocked)), pytest.raises(storage.StorageError) as err:
        storage.check()
    assert str(err.value) == f"{blocked} is not a directory this process may write to: fix its owner, or DATA_DIR"
