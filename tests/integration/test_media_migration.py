"""`quillcast media migrate-to-storage` moves images kept on the local disk into the bucket (moto's real
HTTP S3 server), points their rows at the keys, names what it could not move, and runs again safely. It
runs on a database of its own: it moves every local image it finds, and other tests' rows are not its to
move."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine
from sqlmodel import Session

from app.core import migrations
from app.services.planning import media
from models import MediaAsset
from tests import support
from tests.factories import make_user, make_workspace
from tests.s3_support import MotoS3, environment


@pytest.fixture(scope="module")
def s3():
    server = MotoS3().start()
    yield server
    server.stop()


@pytest.fixture()
def database(servers, app_env) -> Iterator[str]:
    name = support.unique_name("quillcast_media_move")
    url = support.create_database(servers.pg_server_url, name)
    migrations.upgrade(url)
    yield url
    support.drop_database(servers.pg_server_url, name)


def png(colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), colour).save(buf, "PNG")
    return buf.getvalue()


def _quillcast(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=support.ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_local_images_move_into_the_bucket_and_their_rows_follow(s3, database, tmp_path):
    engine = create_engine(database)
    with Session(engine) as session, environment(MEDIA_STORAGE_URL="", DATA_DIR=str(tmp_path)):
        owner = make_user(session)
        ws = make_workspace(session, owner=owner)
        assets = [media.store_upload(session, user_id=owner.id, workspace_id=ws.id, filename=f"{c}.png",
                                     data=png(c)) for c in ("red", "green", "blue")]
        session.commit()
        ids, ws_id = [a.id for a in assets], ws.id
        paths = [Path(a.storage_path) for a in assets]
    lost = paths[2].read_bytes()
    paths[2].unlink()  # one file is gone from this disk: named, left as it is, the others still move

    nowhere = _quillcast(["media", "migrate-to-storage"], DATABASE_URL=database, DATA_DIR=str(tmp_path),
                         MEDIA_STORAGE_URL="")
    assert nowhere.returncode == 1 and "MEDIA_STORAGE_URL is not set" in nowhere.stderr

    bucket = s3.make_bucket()
    env = {**s3.env(bucket), "DATABASE_URL": database, "DATA_DIR": str(tmp_path)}
    counted = _quillcast(["media", "migrate-to-storage", "--dry-run"], **env)
    assert counted.returncode == 0, counted.stderr
    assert "3 image(s)" in counted.stderr and s3.keys(bucket) == []

    first = _quillcast(["media", "migrate-to-storage", "--batch", "2"], **env)
    assert first.returncode == 1
    assert "moved 2 image(s)" in first.stderr
    assert f"left on disk: blue.png ({ids[2]}, {paths[2]}): the file is missing on this machine" in first.stderr
    with Session(engine) as session:
        rows = [session.get(MediaAsset, i) for i in ids]
        for row, path in zip(rows[:2], paths[:2], strict=True):
            assert row.storage_path == f"{ws_id}/{row.sha256}.png"
            body = s3.client().get_object(Bucket=bucket, Key=f"media/{row.storage_path}")["Body"].read()
            assert body == path.read_bytes()
        assert rows[2].storage_path == str(paths[2])

    paths[2].write_bytes(lost)  # put back: a second run moves only what is left
    second = _quillcast(["media", "migrate-to-storage"], **env)
    assert second.returncode == 0, second.stderr
    assert "moved 1 image(s)" in second.stderr and len(s3.keys(bucket)) == 3
    engine.dispose()
