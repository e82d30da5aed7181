"""Work is enqueued only when the transaction that asked for it commits."""

from sqlalchemy import text

from app.core import jobs
from app.core.db import session_scope


def _sent(monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "send", lambda name, *a, queue, countdown=None: calls.append(name))
    return calls


def test_sent_after_commit(app_env, monkeypatch):
    calls = _sent(monkeypatch)
    with session_scope() as session:
        jobs.send_after_commit(session, "quillcast.maintenance.heartbeat", queue=jobs.MAINTENANCE_QUEUE)
        assert calls == []
    assert calls == ["quillcast.maintenance.heartbeat"]


def test_a_delay_is_carried_to_the_send(app_env, monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "send", lambda name, *a, queue, countdown=None: calls.append((a, countdown)))
    with session_scope() as session:
        jobs.send_after_commit(session, "quillcast.webhooks.deliver", "d-1", queue=jobs.MAINTENANCE_QUEUE,
                                countdown=7.5)
    assert calls == [(("d-1",), 7.5)]


def test_a_rollback_drops_it_for_good(app_env, monkeypatch):
    calls = _sent(monkeypatch)
    with session_scope() as session:
        session.exec(text("SELECT 1"))  # the work whose transaction asked for the task
        jobs.send_after_commit(session, "quillcast.maintenance.heartbeat", queue=jobs.MAINTENANCE_QUEUE)
        session.rollback()
        session.commit()  # a later commit of the same session must not send the dropped task
    assert calls == []
