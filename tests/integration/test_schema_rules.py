"""The database itself refuses bad rows (CHECK constraints, foreign keys, unique keys)."""

import pytest
from sqlalchemy.exc import IntegrityError

from models import Membership, PostTarget
from tests.factories import make_channel, make_target, make_user, make_workspace


def test_unknown_target_status_is_refused(session):
    ws = make_workspace(session)
    target = make_target(session, make_channel(session, ws))
    target.status = "done-ish"
    session.add(target)
    with pytest.raises(IntegrityError, match="ck_post_targets_status"):
        session.commit()
    session.rollback()


def test_unknown_role_is_refused(session):
    user, ws = make_user(session), make_workspace(session)
    session.add(Membership(workspace_id=ws.id, user_id=user.id, role="superuser"))
    with pytest.raises(IntegrityError, match="ck_memberships_role"):
        session.commit()
    session.rollback()


def test_email_is_unique_ignoring_case(session):
    make_user(session, email="Same@Example.test")
    with pytest.raises(IntegrityError, match="uq_users_email_lower"):
        make_user(session, email="same@example.TEST")
    session.rollback()


def test_deleting_a_workspace_removes_its_targets(session):
    ws = make_workspace(session)
    target = make_target(session, make_channel(session, ws))
    session.delete(ws)
    session.commit()
    session.expunge_all()
    assert session.get(PostTarget, target.id) is None
