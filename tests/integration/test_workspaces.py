"""Workspaces, roles and invitations, through the service functions, each run as the signed-in user
(their claims, under Row Level Security) the way the API and the UI call them."""

import secrets
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from app.core import db
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.messaging import email as email_service
from app.services.tenancy import invitations, permissions, workspaces
from models import AuditLog, Invitation, Membership, Workspace
from tests.factories import make_user


def as_user(user):
    return db.session_scope(db.user_claims(user.id))


@pytest.fixture()
def mailbox(monkeypatch):
    """Records what the e-mail service (another slice: `send_template(session, to, template, context)`)
    is asked to send; the real service is tested with its own SMTP server."""
    sent = []
    # The invitation service calls messaging.email.send_template at send time: stand in for it there.
    monkeypatch.setattr(email_service, "send_template", lambda session, to, template, context: sent.append((to, template, context)))
    return sent


@pytest.fixture()
def team(session):
    """Olga owns a workspace made through the service; Ann is an admin, Vic a viewer; Stan is outside."""
    olga, ann, vic, stan = (make_user(session, display_name=n) for n in ("Olga", "Ann", "Vic", "Stan"))
    with as_user(olga) as s:
        ws = workspaces.create_workspace(s, olga.id, "  Team <b>Rocket</b> 🚀  ", "Europe/Berlin")
    session.add(Membership(workspace_id=ws.id, user_id=ann.id, role="admin"))
    session.add(Membership(workspace_id=ws.id, user_id=vic.id, role="viewer"))
    session.commit()
    return types.SimpleNamespace(olga=olga, ann=ann, vic=vic, stan=stan, ws=ws)


def test_creator_becomes_owner_and_sees_it_in_their_list(team):
    assert team.ws.name == "Team <b>Rocket</b> 🚀"  # kept as text; the UI escapes it
    assert team.ws.timezone == "Europe/Berlin"
    with as_user(team.olga) as s:
        mine = workspaces.my_workspaces(s, team.olga.id)
    assert [(m.workspace.id, m.role) for m in mine] == [(team.ws.id, "owner")]
    with as_user(team.stan) as s:
        assert workspaces.my_workspaces(s, team.stan.id) == []


@pytest.mark.parametrize("name, message", [
    ("", "give the workspace a name"), ("   ", "give the workspace a name"),
    ("x" * 121, "at most 120 characters"), ("two\nlines", "control characters"),
])
def test_bad_names_are_refused_with_the_field(team, name, message):
    with as_user(team.olga) as s, pytest.raises(ValidationFailed, match=message) as err:
        workspaces.rename(s, team.olga.id, team.ws.id, name)
    assert err.value.field == "name"


def test_rtl_and_emoji_names_are_kept(team):
    with as_user(team.ann) as s:
        assert workspaces.rename(s, team.ann.id, team.ws.id, "فريق 🚀").name == "فريق 🚀"


def test_an_unknown_timezone_names_the_field_and_an_example(team):
    with as_user(team.olga) as s, pytest.raises(ValidationFailed) as err:
        workspaces.set_timezone(s, team.olga.id, team.ws.id, "Mars/Base")
    assert err.value.message == "timezone: 'Mars/Base' is not a time zone; use an IANA name such as Europe/Paris"
    assert err.value.field == "timezone"


def test_a_viewer_cannot_rename_and_an_outsider_is_told_nothing(team):
    with as_user(team.vic) as s, pytest.raises(PermissionDenied, match="viewer"):
        workspaces.rename(s, team.vic.id, team.ws.id, "Mine")
    with as_user(team.stan) as s, pytest.raises(NotFound):
        workspaces.rename(s, team.stan.id, team.ws.id, "Mine")


def test_members_list_shows_names_and_roles(team):
    with as_user(team.vic) as s:
        members = workspaces.members(s, team.vic.id, team.ws.id)
    assert [(m.display_name, m.role) for m in members] == [
        ("Olga", "owner"), ("Ann", "admin"), ("Vic", "viewer")]


def test_admin_changes_roles_but_cannot_touch_the_owner(team):
    with as_user(team.ann) as s:
        assert workspaces.change_role(s, team.ann.id, team.ws.id, team.vic.id, "editor").role == "editor"
    with as_user(team.ann) as s, pytest.raises(PermissionDenied, match="only an owner"):
        workspaces.change_role(s, team.ann.id, team.ws.id, team.olga.id, "viewer")
    with as_user(team.ann) as s, pytest.raises(PermissionDenied, match="only an owner"):
        workspaces.change_role(s, team.ann.id, team.ws.id, team.ann.id, "owner")
    with as_user(team.ann) as s, pytest.raises(ValidationFailed, match="not a role"):
        workspaces.change_role(s, team.ann.id, team.ws.id, team.vic.id, "superuser")


def test_the_last_owner_can_be_neither_demoted_nor_removed(team):
    with as_user(team.olga) as s, pytest.raises(Conflict, match="last owner"):
        workspaces.change_role(s, team.olga.id, team.ws.id, team.olga.id, "admin")
    with as_user(team.olga) as s, pytest.raises(Conflict, match="last owner"):
        workspaces.remove_member(s, team.olga.id, team.ws.id, team.olga.id)
    # With a second owner, the first may step down.
    with as_user(team.olga) as s:
        workspaces.change_role(s, team.olga.id, team.ws.id, team.ann.id, "owner")
    with as_user(team.olga) as s:
        assert workspaces.change_role(s, team.olga.id, team.ws.id, team.olga.id, "editor").role == "editor"


def test_remove_member_and_leave(team, session):
    with as_user(team.ann) as s:
        workspaces.remove_member(s, team.ann.id, team.ws.id, team.vic.id)
    with as_user(team.vic) as s:
        assert workspaces.my_workspaces(s, team.vic.id) == []
    with as_user(team.ann) as s:
        workspaces.remove_member(s, team.ann.id, team.ws.id, team.ann.id)  # leaving
    assert permissions.membership(session, team.ann.id, team.ws.id) is None
    actions = session.exec(select(AuditLog.action).where(AuditLog.workspace_id == team.ws.id)).all()
    assert actions.count("member.removed") == 2


def test_require_2fa_needs_it_yourself_then_locks_out_members_without_it(team, session):
    with as_user(team.olga) as s, pytest.raises(ValidationFailed, match="your own account first"):
        workspaces.set_require_2fa(s, team.olga.id, team.ws.id, True)
    team.olga.totp_secret = "encrypted-secret"
    session.add(team.olga)
    session.commit()
    with as_user(team.olga) as s:
        assert workspaces.set_require_2fa(s, team.olga.id, team.ws.id, True).require_2fa is True
    with as_user(team.vic) as s, pytest.raises(PermissionDenied, match="requires two-factor"):
        workspaces.members(s, team.vic.id, team.ws.id)
    with as_user(team.olga) as s:
        assert len(workspaces.members(s, team.olga.id, team.ws.id)) == 3


def _invite(team, email, role="editor"):
    with as_user(team.ann) as s:
        return invitations.invite(s, team.ann.id, team.ws.id, email, role)


def test_invitation_by_mail_is_accepted_once(team, session, mailbox):
    newbie = make_user(session, email=f"new-{secrets.token_hex(3)}@example.test")
    sent = _invite(team, newbie.email.upper())
    assert [(to, tpl) for to, tpl, _ in mailbox] == [(newbie.email.upper().split("@")[0] + "@example.test",
                                                     "invitation")]
    ctx = mailbox[0][2]
    assert ctx["accept_url"].endswith(sent.token) and ctx["role"] == "editor"
    stored = session.get(Invitation, sent.invitation.id)
    assert stored.token_hash != sent.token and sent.token not in stored.token_hash  # only the hash is kept
    assert stored.expires_at - stored.created_at == pytest.approx(timedelta(days=7), abs=timedelta(seconds=5))

    with as_user(newbie) as s:
        m = invitations.accept(s, newbie.id, sent.token)
    assert (m.workspace_id, m.role) == (team.ws.id, "editor")
    with as_user(newbie) as s, pytest.raises(Conflict, match="already used"):
        invitations.accept(s, newbie.id, sent.token)


def test_invitation_for_another_address_is_refused_without_revealing_it(team, session, mailbox):
    sent = _invite(team, "someone@example.test")
    with as_user(team.stan) as s, pytest.raises(ValidationFailed, match=r"sent to s\*+@example.test") as err:
        invitations.accept(s, team.stan.id, sent.token)
    assert err.value.field == "token"
    assert permissions.membership(session, team.stan.id, team.ws.id) is None


def test_expired_invitation_says_so(team, session, mailbox):
    sent = _invite(team, team.stan.email)
    inv = session.get(Invitation, sent.invitation.id)
    inv.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.add(inv)
    session.commit()
    with as_user(team.stan) as s, pytest.raises(ValidationFailed, match="expired"):
        invitations.accept(s, team.stan.id, sent.token)


def test_a_newer_invitation_replaces_the_older_and_tampered_tokens_are_refused(team, mailbox):
    first = _invite(team, team.stan.email)
    second = _invite(team, team.stan.email, "viewer")
    with as_user(team.stan) as s, pytest.raises(Conflict, match="withdrawn or replaced"):
        invitations.accept(s, team.stan.id, first.token)
    for bad in ("", "x" * 500, second.token + "x", "' OR 1=1 --"):
        with as_user(team.stan) as s, pytest.raises(NotFound, match="not valid"):
            invitations.accept(s, team.stan.id, bad)
    with as_user(team.stan) as s:
        assert invitations.accept(s, team.stan.id, second.token).role == "viewer"


def test_invite_refuses_bad_input_and_viewers(team, mailbox):
    bad = (("", "enter the e-mail"), ("not-an-email", "email:"), ("a@" + "x" * 400, "at most"))
    for email, message in bad:
        with pytest.raises(ValidationFailed, match=message):
            _invite(team, email)
    with pytest.raises(ValidationFailed, match="role"):
        _invite(team, "x@example.test", "owner")
    with pytest.raises(Conflict, match="already a member"):
        _invite(team, team.vic.email)
    with as_user(team.vic) as s, pytest.raises(PermissionDenied):
        invitations.invite(s, team.vic.id, team.ws.id, "x@example.test", "viewer")
    assert mailbox == []


def test_readme_documents_the_permission_matrix_from_code():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert permissions.matrix_markdown() in readme


def test_two_owners_demoting_each_other_at_once_leave_one_owner(team, session):
    """The owners' rows are locked: the second demotion waits for the first, then sees one owner left."""
    import threading

    session.get(Membership, permissions.membership(session, team.ann.id, team.ws.id).id).role = "owner"
    session.commit()
    first = db.new_session(db.user_claims(team.olga.id))
    workspaces.change_role(first, team.olga.id, team.ws.id, team.ann.id, "editor")  # holds the lock
    outcome = {}

    def second():
        try:
            with as_user(team.ann) as s:
                workspaces.change_role(s, team.ann.id, team.ws.id, team.olga.id, "editor")
            outcome["result"] = "demoted"
        except Exception as exc:  # noqa: BLE001
            outcome["result"] = exc

    t = threading.Thread(target=second)
    t.start()
    t.join(1.0)
    assert t.is_alive()  # waiting for the first transaction
    first.commit()
    first.close()
    t.join(10)
    assert isinstance(outcome["result"], (Conflict, PermissionDenied))
    owners = session.exec(select(Membership).where(Membership.workspace_id == team.ws.id,
                                                   Membership.role == "owner")).all()
    session.expire_all()
    assert len(owners) == 1


def test_a_second_check_in_one_transaction_reads_the_member_once_and_sees_changes_made_in_it(team):
    from sqlalchemy import event

    with as_user(team.olga) as s:
        statements = []
        engine = s.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            permissions.require(s, team.olga.id, team.ws.id, "workspace:manage")
            first = len(statements)
            assert permissions.require(s, team.olga.id, team.ws.id, "post:publish").role == "owner"
            assert len(statements) == first  # the route dependency's rows answer the service's check
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        # A change made in the transaction shows in the next check ...
        workspaces.change_role(s, team.olga.id, team.ws.id, team.ann.id, "viewer")
        with pytest.raises(PermissionDenied):
            permissions.require(s, team.ann.id, team.ws.id, "member:manage")
        workspace = s.get(Workspace, team.ws.id)
        workspace.require_2fa = True  # Olga has no second factor
        with pytest.raises(PermissionDenied, match="two-factor"):
            permissions.require(s, team.olga.id, team.ws.id, "workspace:read")
        workspace.require_2fa = False
        # ... and so does a removal.
        permissions.require(s, team.vic.id, team.ws.id, "workspace:read")
        workspaces.remove_member(s, team.olga.id, team.ws.id, team.vic.id)
        with pytest.raises(NotFound):
            permissions.require(s, team.vic.id, team.ws.id, "workspace:read")


def test_the_next_transaction_reads_the_member_again(team):
    with as_user(team.ann) as s:
        permissions.require(s, team.ann.id, team.ws.id, "member:manage")
        s.commit()
        with as_user(team.olga) as other:  # another session demotes Ann meanwhile
            workspaces.change_role(other, team.olga.id, team.ws.id, team.ann.id, "viewer")
        with pytest.raises(PermissionDenied):
            permissions.require(s, team.ann.id, team.ws.id, "member:manage")
