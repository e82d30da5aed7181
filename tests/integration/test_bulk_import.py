"""Bulk import of a CSV file against real PostgreSQL (with Row Level Security) and the posts service."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.core import db
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.planning import bulk_import
from models import Membership, Post, PostTarget
from tests.factories import make_channel, make_user, make_workspace

HEADER = "date,time,channel,text,timezone,first_comment\n"


@pytest.fixture()
def team(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner, timezone="Europe/Berlin")
    sky = make_channel(session, ws, "bluesky", name="Main Sky", account="ada.bsky.social")
    room = make_channel(session, ws, "matrix", name="Room", account="@ada:matrix.test")
    make_channel(session, ws, "bluesky", name="Broken", account="old.bsky.social", status="needs_reauth")
    return {"owner": owner, "ws": ws, "sky": sky, "room": room}


def _check(session, s, text: str | bytes, user=None):
    data = text.encode() if isinstance(text, str) else text
    return bulk_import.check(session, (user or s["owner"]).id, s["ws"].id, data)


def _problems(preview) -> dict[str, str]:
    return {p.field: p.message for p in preview.problems}


def _targets(session, ws):
    return session.exec(select(PostTarget).where(PostTarget.workspace_id == ws.id)).all()


def test_bom_semicolons_quoted_newlines_emoji_and_rtl_are_read_as_written(session, team):
    text = ("date;time;channel;text\n"
            "2030-01-07;09:30;Main Sky;\"Line one;\nline two 👩‍👩‍👧\"\n"
            "2030-01-08;9:05;bluesky:@ADA.bsky.social;مرحبا بالعالم\n"
            "2030-01-09;18:00;Matrix @ada:matrix.test;<script>alert(1)</script>\n")
    preview = _check(session, team, "\ufeff".encode() + text.encode())
    assert preview.problems == [] and preview.mode == "direct"
    assert [r.number for r in preview.rows] == [2, 3, 4]  # the spreadsheet's rows: header is row 1
    assert preview.rows[0].text == "Line one;\nline two 👩‍👩‍👧"
    assert preview.rows[1].text == "مرحبا بالعالم" and preview.rows[1].channel_id == team["sky"].id
    assert preview.rows[2].channel_id == team["room"].id
    # Europe/Berlin (the workspace's zone) is UTC+1 in January.
    assert preview.rows[0].scheduled_at == datetime(2030, 1, 7, 8, 30, tzinfo=UTC)

    outcome = bulk_import.run(session, team["owner"].id, team["ws"].id, "\ufeff".encode() + text.encode())
    session.commit()
    assert outcome.created == 3 and outcome.first_date == "2030-01-07"
    bodies = {p.body for p in session.exec(select(Post).where(Post.workspace_id == team["ws"].id)).all()}
    assert "<script>alert(1)</script>" in bodies  # stored as text, not cleaned or run
    assert {t.status for t in _targets(session, team["ws"])} == {"scheduled"}


def test_every_problem_is_reported_at_once_with_row_and_column(session, team):
    preview = _check(session, team, HEADER +
                     "2020-01-07,09:30,Main Sky,old news,,\n"            # row 2: past
                     "2030-03-31,02:30,Main Sky,gap,,\n"                 # row 3: DST gap in Berlin
                     "2030-01-07,09:30,Nowhere,who?,,\n"                 # row 4: unknown channel
                     f"2030-01-07,09:30,Main Sky,{'x' * 312},,\n"        # row 5: over Bluesky's 300
                     "2030-02-30,25:00,Broken,hi,Mars/Base,\n"           # row 6: bad date, time, zone, channel
                     "2030-10-27,02:30,Room,twice,,\n")                  # row 7: happens twice
    problems = _problems(preview)
    assert "in the past" in problems["rows[2].date"]
    assert "does not exist in Europe/Berlin" in problems["rows[3].time"]
    assert "dst=first" in problems["rows[3].time"] and "dst column" in problems["rows[3].time"]
    assert "no channel “Nowhere”" in problems["rows[4].channel"] and "Main Sky" in problems["rows[4].channel"]
    assert "Bluesky allows 300 characters" in problems["rows[5].text"]
    assert "shorten it by 12" in problems["rows[5].text"]
    assert "not a day of the calendar" in problems["rows[6].date"]
    assert "HH:MM" in problems["rows[6].time"]
    assert "Mars/Base" in problems["rows[6].timezone"]
    assert "needs reconnecting" in problems["rows[6].channel"]
    assert "happens twice" in problems["rows[7].time"]
    with pytest.raises(ValidationFailed) as refused:
        bulk_import.run(session, team["owner"].id, team["ws"].id, (HEADER +
                        "2030-01-07,09:30,Main Sky,fine,,\n2020-01-07,09:30,Main Sky,old,,\n").encode())
    session.rollback()
    assert [p.field for p in refused.value.problems] == ["rows[3].date"]
    assert _targets(session, team["ws"]) == []  # all or nothing: the valid row was not created


def test_a_dst_column_chooses_the_reading_like_the_composer(session, team):
    preview = _check(session, team, "date,time,channel,text,dst\n2030-10-27,02:30,Room,second,second\n")
    assert preview.problems == []
    assert preview.rows[0].scheduled_at == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)  # the CET reading


def test_first_comment_is_counted_and_kept(session, team):
    preview = _check(session, team, HEADER + f"2030-01-07,09:30,Main Sky,hello,,{'c' * 301}\n")
    assert "the first comment has 301" in _problems(preview)["rows[2].first_comment"]
    bulk_import.run(session, team["owner"].id, team["ws"].id,
                    (HEADER + "2030-01-07,09:30,Main Sky,hello,,and a comment\n").encode())
    session.commit()
    (target,) = _targets(session, team["ws"])
    assert target.options["first_comment"] == "and a comment" and target.options["import_key"]


def test_importing_the_same_file_twice_makes_no_duplicates(session, team):
    data = (HEADER + "2030-01-07,09:30,Main Sky,one,,\n2030-01-08,10:00,Room,two,,\n").encode()
    assert bulk_import.run(session, team["owner"].id, team["ws"].id, data).created == 2
    session.commit()
    again = bulk_import.run(session, team["owner"].id, team["ws"].id,
                            data + b"2030-01-09,10:00,Room,three,,\n")
    session.commit()
    assert (again.created, again.skipped) == (1, 2)
    assert len(_targets(session, team["ws"])) == 3
    twice = _check(session, team, HEADER + "2030-01-07,09:30,Main Sky,new,,\n2030-01-07,09:30,Main Sky,new,,\n")
    assert "the same post as row 2" in _problems(twice)["rows[3].text"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("date,time,channel,text\n2030-01-07,09:30,Main Sky,caf\xe9\n".encode("latin-1"), "UTF-8"),
        (b"x" * (bulk_import.MAX_BYTES + 1), "1 MB"),
        (b"when,where\n1,2\n", "lacks date, time, channel, text"),
        (b"date,time,channel,text,image_url\n2030-01-07,09:30,Main Sky,hi,http://x\n", "images are not imported"),
        (b"date,time,channel,text\n", "no posts"),
    ],
)
def test_files_that_are_not_an_import_get_a_clear_error(session, team, data, expected):
    with pytest.raises(ValidationFailed) as refused:
        _check(session, team, data)
    assert expected in refused.value.message and refused.value.field == "file"


def test_at_most_500_rows(session, team):
    rows = "".join(f"2030-02-{1 + i % 28:02d},{i % 24:02d}:{i % 60:02d},Room,post {i},,\n" for i in range(501))
    with pytest.raises(ValidationFailed) as refused:
        _check(session, team, HEADER + rows)
    assert "501 posts; at most 500" in refused.value.message
    assert _check(session, team, HEADER + rows.split("\n", 1)[1]).problems == []  # 500 are fine


def test_contributors_submit_for_approval_and_viewers_cannot_import(session, team):
    contributor, viewer = make_user(session), make_user(session)
    session.add(Membership(workspace_id=team["ws"].id, user_id=contributor.id, role="contributor"))
    session.add(Membership(workspace_id=team["ws"].id, user_id=viewer.id, role="viewer"))
    session.commit()
    data = (HEADER + "2030-01-07,09:30,Main Sky,please approve,,\n").encode()
    outcome = bulk_import.run(session, contributor.id, team["ws"].id, data)
    session.commit()
    assert outcome.mode == "approval"
    assert {t.status for t in _targets(session, team["ws"])} == {"awaiting_approval"}
    with pytest.raises(PermissionDenied):
        bulk_import.check(session, viewer.id, team["ws"].id, data)


def test_another_workspaces_channel_is_not_found_under_rls(session, team):
    other_owner = make_user(session)
    other = make_workspace(session, owner=other_owner)
    make_channel(session, other, "bluesky", name="Their Sky", account="them.bsky.social")
    session.commit()
    with db.new_session(db.user_claims(team["owner"].id)) as mine:
        preview = bulk_import.check(mine, team["owner"].id, team["ws"].id, (
            HEADER + "2030-01-07,09:30,Their Sky,hi,,\n2030-01-07,09:30,bluesky them.bsky.social,hi,,\n").encode())
    problems = _problems(preview)
    assert "no channel “Their Sky”" in problems["rows[2].channel"]
    assert "no channel" in problems["rows[3].channel"]
    with db.new_session(db.user_claims(other_owner.id)) as theirs, pytest.raises(Exception) as refused:
        bulk_import.check(theirs, other_owner.id, team["ws"].id, (HEADER + "2030-01-07,09:30,Room,x,,\n").encode())
    assert type(refused.value).__name__ in ("NotFound", "PermissionDenied")


def test_a_row_with_too_many_cells_says_to_quote_the_text(session, team):
    preview = _check(session, team, "date,time,channel,text\n2030-01-07,09:30,Main Sky,one, two\n")
    assert "double quotes" in _problems(preview)["rows[2].text"]


def test_unknown_workspace_member_gets_nothing(session, team):
    with pytest.raises(Exception) as refused:
        bulk_import.check(session, uuid.uuid4(), team["ws"].id, (HEADER + "2030-01-07,09:30,Room,x,,\n").encode())
    assert type(refused.value).__name__ in ("NotFound", "PermissionDenied")


def test_the_example_file_imports_as_it_is(session, team):
    example = bulk_import.example_csv(session, team["owner"].id, team["ws"].id)
    assert "Main Sky" in example  # the workspace's own channel names
    preview = _check(session, team, example)
    assert preview.problems == [] and len(preview.rows) == 2
    assert preview.rows[1].text.count("\n") == 3 and preview.rows[1].first_comment


def test_two_uploads_of_one_file_at_once_create_it_once(session, team):
    import threading
    import time

    data = (HEADER + "2030-01-07,09:30,Main Sky,at once,,\n").encode()
    results: dict[str, int] = {}

    def upload(name: str, hold: float) -> None:
        with db.session_scope(db.user_claims(team["owner"].id)) as s:
            results[name] = bulk_import.run(s, team["owner"].id, team["ws"].id, data).created
            time.sleep(hold)  # still uncommitted: the other upload must wait, not create it too

    first = threading.Thread(target=upload, args=("first", 0.5))
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=upload, args=("second", 0))
    second.start()
    first.join()
    second.join()
    assert sorted(results.values()) == [0, 1]
    assert len(_targets(session, team["ws"])) == 1


def test_a_row_imported_earlier_is_skipped_even_once_its_time_has_passed(session, team):
    data = (HEADER + "2030-01-07,09:30,Main Sky,one,,\n").encode()
    bulk_import.run(session, team["owner"].id, team["ws"].id, data)
    session.commit()
    later = datetime(2031, 1, 1, tzinfo=UTC)
    preview = bulk_import.check(session, team["owner"].id, team["ws"].id,
                                data + b"2030-06-01,09:30,Main Sky,new but late,,\n", now=later)
    assert preview.rows[0].already_imported and preview.rows[0].problems == []
    assert "in the past" in _problems(preview)["rows[3].date"]


def test_a_contributors_import_sends_each_reviewer_one_mail_for_all_posts(session, team):
    from models import EmailOutbox

    contributor, editor = make_user(session, email_verified_at=datetime.now(UTC)), make_user(
        session, email_verified_at=datetime.now(UTC))
    session.add(Membership(workspace_id=team["ws"].id, user_id=contributor.id, role="contributor"))
    session.add(Membership(workspace_id=team["ws"].id, user_id=editor.id, role="editor"))
    team["owner"].email_verified_at = datetime.now(UTC)
    session.add(team["owner"])
    session.commit()
    data = (HEADER + "".join(f"2030-02-{day:02d},09:30,Main Sky,post number {day} <b>bold</b>,,\n"
                             for day in range(1, 4))).encode()
    bulk_import.run(session, contributor.id, team["ws"].id, data)
    session.commit()

    for reviewer in (editor, team["owner"]):
        mails = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == reviewer.email)).all()
        assert [m.template for m in mails] == ["approval_requested_many"], reviewer.email
        assert "3 posts" in mails[0].subject
        for day in range(1, 4):
            assert f"post number {day} <b>bold</b>" in mails[0].text_body
            assert f"post number {day} &lt;b&gt;bold&lt;/b&gt;" in mails[0].html_body
    assert session.exec(select(EmailOutbox).where(EmailOutbox.to_address == contributor.email)).all() == []
