"""list_drafts: only drafts of this workspace, newest first, with channel names; members only."""

from __future__ import annotations

import pytest

from app.services.errors import DomainError
from app.services.planning import drafts
from models import Post, PostTarget
from tests.factories import make_channel, make_target, make_user, make_workspace


def test_list_drafts_shows_only_this_workspaces_drafts(session):
    owner = make_user(session)
    ws = make_workspace(session, owner)
    ch = make_channel(session, ws, "bluesky", name="Main")
    draft = Post(workspace_id=ws.id, author_id=owner.id, body="x" * 300, status="draft")
    session.add(draft)
    session.flush()
    session.add(PostTarget(workspace_id=ws.id, post_id=draft.id, channel_id=ch.id, status="draft",
                           idempotency_key="k-draft"))
    session.commit()
    make_target(session, ch, body="scheduled one")  # not a draft
    other = make_workspace(session, make_user(session))
    session.add(Post(workspace_id=other.id, body="someone else's", status="draft"))
    session.commit()

    rows = drafts.list_drafts(session, owner.id, ws.id)
    assert [r.post_id for r in rows] == [draft.id]
    assert rows[0].channels == ["Main"] and rows[0].excerpt.endswith("…") and len(rows[0].excerpt) == 201

    with pytest.raises(DomainError):
        drafts.list_drafts(session, make_user(session).id, ws.id)
