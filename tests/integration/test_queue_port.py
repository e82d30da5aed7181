"""Work is enqueued only when the transaction that asked for it commits."""

from sqlalchemy import text

from app.core import queue
from app.core.db import session_scope


def _sent(monkeypatch):
    calls = []
    monkeypatch.setattr(queue, "send", lambda name, *a, queue: calls.append(name))
    return calls


def test_sent_after_commit(app_env, monkeypatch):
    calls = _sent(monkeypatch)
    with session_scope() as session:
        queue.send_after_commit(session, "quillcast.maintenance.heartbeat", queue=queue.MAINTENANCE_QUEUE)
        assert calls == []
    assert calls == ["quillcast.maintenance.heartbeat"]


def test_a_rollback_drops_it_for_good(app_env, monkeypatch):
    calls = _sent(monkeypatch)
    with session_scope() as session:
        session.exec(text("SELECT 1"))  # the work whose transaction asked for the task
        queue.send_after_commit(session, "quillcast.maintenance.heartbeat", queue=queue.MAINTENANCE_QUEUE)
        session.rollback()
        session.commit()  # a later commit of the same session must not send the dropped task
    assert calls == []
