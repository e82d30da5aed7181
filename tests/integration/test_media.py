"""Uploading images: the bytes decide the type, damaged or huge files are refused with a clear reason,
the same file twice is one asset, and an image too large for a network is fitted to its limit."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.api.main import create_api
from app.connectors.base import MediaItem
from app.connectors.registry import NETWORK_LIMITS
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.planning import media
from models import Membership
from tests.accounts_support import access_token_for
from tests.factories import make_user, make_workspace


def png_bytes(size=(64, 48), mode="RGB", color="tomato") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture()
def owner(session):
    return make_user(session)


@pytest.fixture()
def workspace(session, owner):
    return make_workspace(session, owner)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, app_env):
    from app.core.config import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_upload_keeps_the_file_with_its_real_type_and_size(session, owner, workspace, data_dir):
    data = png_bytes((64, 48))
    asset = media.store_upload(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        filename="../../etc/Urlaub 🏖.jpg",
        data=data,
        alt_text=" Beach ",
    )
    assert (asset.content_type, asset.width, asset.height, asset.size_bytes) == (
        "image/png",
        64,
        48,
        len(data),
    )
    assert asset.filename == "Urlaub 🏖.jpg" and asset.alt_text == "Beach"
    stored = Path(asset.storage_path)
    assert stored.read_bytes() == data and data_dir in stored.parents


def test_same_file_twice_is_one_asset(session, owner, workspace):
    data = png_bytes(color="navy")
    a = media.store_upload(session, user_id=owner.id, workspace_id=workspace.id, filename="a.png", data=data)
    b = media.store_upload(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        filename="b.png",
        data=data,
        alt_text="now with alt text",
    )
    assert a.id == b.id and b.alt_text == "now with alt text"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"<script>alert(1)</script> DROP TABLE users;", "not a JPEG, PNG, WebP or GIF image"),
        (b"%PDF-1.4\n%...", "not a JPEG, PNG, WebP or GIF image (it looks like application/pdf)"),
        (png_bytes()[:60], "damaged"),
    ],
)
def test_bad_files_are_refused_naming_the_field(session, owner, workspace, data, expected):
    with pytest.raises(ValidationFailed) as err:
        media.store_upload(session, user_id=owner.id, workspace_id=workspace.id, filename="x.png", data=data)
    assert err.value.field == "file" and expected in err.value.message


def test_decompression_bomb_is_refused(session, owner, workspace):
    bomb = png_bytes((8000, 7000), mode="1", color=0)  # 56 M pixels in a few KB
    assert len(bomb) < 200_000
    with pytest.raises(ValidationFailed) as err:
        media.store_upload(session, user_id=owner.id, workspace_id=workspace.id, filename="b.png", data=bomb)
    assert "too many pixels" in err.value.message


def test_too_long_alt_text_and_viewer_upload_are_refused(session, owner, workspace):
    with pytest.raises(ValidationFailed) as err:
        media.store_upload(
            session,
            user_id=owner.id,
            workspace_id=workspace.id,
            filename="a.png",
            data=png_bytes(),
            alt_text="x" * 2001,
        )
    assert err.value.field == "alt_text"
    viewer = make_user(session)
    session.add(Membership(workspace_id=workspace.id, user_id=viewer.id, role="viewer"))
    session.commit()
    with pytest.raises(PermissionDenied):
        media.store_upload(
            session, user_id=viewer.id, workspace_id=workspace.id, filename="a.png", data=png_bytes()
        )


def test_an_image_over_blueskys_limit_is_fitted_under_it(tmp_path):
    noisy = Image.frombytes("RGB", (1400, 1000), os.urandom(1400 * 1000 * 3))
    path = tmp_path / "noise.png"
    noisy.save(path, "PNG")
    item = MediaItem(
        str(path), "image/png", alt_text="noise", width=1400, height=1000, size_bytes=path.stat().st_size
    )
    assert item.size_bytes > 1_000_000
    fitted = media.fit_for_network(item, NETWORK_LIMITS["bluesky"])
    assert fitted.content_type == "image/jpeg" and fitted.size_bytes <= 1_000_000
    assert Path(fitted.path).stat().st_size == fitted.size_bytes and fitted.alt_text == "noise"
    with Image.open(fitted.path) as img:
        assert img.size == (fitted.width, fitted.height) and img.width <= 1400
    small = MediaItem(str(path), "image/png", size_bytes=10)
    assert media.fit_for_network(small, NETWORK_LIMITS["matrix"]) is small  # fits: left alone


def test_webp_is_converted_for_a_network_that_does_not_take_it(tmp_path):
    path = tmp_path / "a.webp"
    Image.new("RGBA", (50, 40), (255, 0, 0, 128)).save(path, "WEBP")
    fitted = media.fit_for_network(
        MediaItem(str(path), "image/webp", size_bytes=path.stat().st_size), NETWORK_LIMITS["linkedin"]
    )
    assert fitted.content_type == "image/jpeg" and (fitted.width, fitted.height) == (50, 40)


def test_api_upload(session, owner, workspace):
    client = TestClient(create_api())
    headers = {"Authorization": f"Bearer {access_token_for(owner.id)}"}
    url = f"/api/workspaces/{workspace.id}/media"
    r = client.post(
        url,
        headers=headers,
        files={"file": ("a.png", png_bytes(), "image/png")},
        data={"alt_text": "A red square"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "image/png" and r.json()["alt_text"] == "A red square"
    assert "storage_path" not in r.json()
    r = client.post(url, headers=headers, files={"file": ("a.png", b"not an image", "image/png")})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "file"
