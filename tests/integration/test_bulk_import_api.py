"""POST /api/workspaces/{id}/imports through FastAPI's TestClient with real JWTs, PostgreSQL and Redis."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.api.main import create_api
from models import Membership, PostTarget
from tests.accounts_support import access_token_for
from tests.factories import make_channel, make_user, make_workspace

GOOD = b"date,time,channel,text\n2030-01-07,09:30,Main Sky,hello\n2030-01-08,10:00,Main Sky,again\n"


@pytest.fixture()
def api(app_env):
    return TestClient(create_api())


@pytest.fixture()
def ws(session):
    owner, viewer = make_user(session), make_user(session)
    workspace = make_workspace(session, owner=owner, timezone="Europe/Berlin")
    session.add(Membership(workspace_id=workspace.id, user_id=viewer.id, role="viewer"))
    session.commit()
    make_channel(session, workspace, "bluesky", name="Main Sky", account="ada.bsky.social")
    return {"ws": workspace, "url": f"/api/workspaces/{workspace.id}/imports",
            "auth": {"Authorization": f"Bearer {access_token_for(owner.id)}"},
            "viewer": {"Authorization": f"Bearer {access_token_for(viewer.id)}"}}


def _post(api, ws, data: bytes, dry_run: bool = False, who: str = "auth"):
    return api.post(ws["url"], params={"dry_run": "true"} if dry_run else None, headers=ws[who],
                    files={"file": ("plan.csv", data, "text/csv")})


def _targets(session, ws):
    return session.exec(select(PostTarget).where(PostTarget.workspace_id == ws["ws"].id)).all()


def test_dry_run_checks_and_creates_nothing(api, ws, session):
    answer = _post(api, ws, GOOD, dry_run=True)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["new"] == 2 and [r["row"] for r in body["rows"]] == [2, 3]
    assert body["rows"][0]["scheduled_at"].startswith("2030-01-07T08:30")
    assert _targets(session, ws) == []


def test_problems_name_row_and_column_in_the_usual_error_shape(api, ws, session):
    answer = _post(api, ws, b"date,time,channel,text\n2030-01-07,9h30,Main Sky,hi\n2030-01-07,09:30,Gone,hi\n")
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "validation_failed" and body["message"].startswith("nothing was imported")
    assert [p["field"] for p in body["problems"]] == ["rows[2].time", "rows[3].channel"]
    assert _targets(session, ws) == []


def test_import_creates_then_a_second_upload_skips(api, ws, session):
    first = _post(api, ws, GOOD)
    assert first.status_code == 201, first.text
    assert first.json()["created"] == 2 and first.json()["first_date"] == "2030-01-07"
    second = _post(api, ws, GOOD)
    assert second.status_code == 201 and (second.json()["created"], second.json()["skipped"]) == (0, 2)
    assert len(_targets(session, ws)) == 2


def test_garbage_and_oversized_files_are_refused_with_the_field(api, ws):
    garbage = _post(api, ws, b"\x00\x01\x02" * 100)
    assert garbage.status_code == 422 and garbage.json()["problems"][0]["field"] == "file"
    big = _post(api, ws, b"a" * 1_000_001)
    assert big.status_code == 422 and "1 MB" in big.json()["message"]
    # Far over it, the upload is refused by its size before it is read (413, same error shape).
    huge = _post(api, ws, b"a" * 1_500_000)
    assert huge.status_code == 413 and "1,000,000 bytes" in huge.json()["message"]


def test_viewers_and_strangers_cannot_import(api, ws):
    assert _post(api, ws, GOOD, who="viewer").status_code == 403
    assert api.post(ws["url"], files={"file": ("plan.csv", GOOD, "text/csv")}).status_code == 401
