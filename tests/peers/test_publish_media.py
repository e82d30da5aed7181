"""An image attached to a post reaches the REAL Bluesky PDS through the publishing engine: the post record
embeds it with the alt text saved on the post, and the blob the PDS keeps is the uploaded image."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image

from app.services.channels import channels
from app.services.delivery import publishing
from app.services.planning import media
from tests.factories import make_target, make_user, make_workspace

pytestmark = pytest.mark.peers


def test_an_image_with_alt_text_is_published_to_the_pds(session, app_env, bluesky_pds):
    owner = make_user(session)
    ws = make_workspace(session, owner)
    account = bluesky_pds.create_account()
    ch = channels.connect_channel(
        session, user_id=owner.id, workspace_id=ws.id, network="bluesky",
        credentials={"service": bluesky_pds.url, "identifier": account.handle,
                     "app_password": account.app_password},
    )
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "#2b6cb0").save(buf, "PNG")
    data = buf.getvalue()
    asset = media.store_upload(session, user_id=owner.id, workspace_id=ws.id, filename="blue.png", data=data)
    target = make_target(session, ch, status="queued", author=owner, body="A blue picture",
                         scheduled_at=datetime.now(UTC))
    target.options = {"media": [{"id": str(asset.id), "alt": "A plain blue rectangle"}]}
    session.add(target)
    session.commit()

    assert publishing.publish_target(target.id) == "published"

    [record] = [r for r in bluesky_pds.list_records(account.did) if r["value"]["text"] == "A blue picture"]
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [image] = embed["images"]
    assert image["alt"] == "A plain blue rectangle"
    assert image["aspectRatio"] == {"width": 64, "height": 48}
    cid = image["image"]["ref"]["$link"]
    blob = httpx.get(f"{bluesky_pds.url}/xrpc/com.atproto.sync.getBlob",
                     params={"did": account.did, "cid": cid}, timeout=30)
    assert blob.status_code == 200 and blob.content == data
