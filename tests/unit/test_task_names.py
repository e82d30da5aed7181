"""Task names are a wire format: queued messages outlive deploys, so renaming one loses work."""

from app.core.jobs import EMAIL_QUEUE, MAINTENANCE_QUEUE, PUBLISH_QUEUE


def test_task_names_are_pinned_and_namespaced():
    from tasks.celery_app import app

    app.loader.import_default_modules()
    names = {n for n in app.tasks if n.startswith("quillcast.")}
    assert {"quillcast.publish.dispatch", "quillcast.maintenance.heartbeat",
            "quillcast.maintenance.backup", "quillcast.maintenance.sync_metrics"} <= names
    assert all(n.count(".") == 2 for n in names)


def test_reliability_settings():
    from tasks.celery_app import app

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_time_limit and conf.task_soft_time_limit
    assert {q.name for q in conf.task_queues} == {PUBLISH_QUEUE, EMAIL_QUEUE, MAINTENANCE_QUEUE}


def test_routes_keep_mail_off_the_publish_queue():
    from tasks.celery_app import app

    router = app.amqp.router
    assert router.route({}, "quillcast.publish.dispatch")["queue"].name == PUBLISH_QUEUE
    assert router.route({}, "quillcast.email.send")["queue"].name == EMAIL_QUEUE


def test_beat_schedules_the_dispatcher_tick():
    from tasks.celery_app import app

    entries = {e["task"] for e in app.conf.beat_schedule.values()}
    assert "quillcast.publish.dispatch" in entries


def test_beat_schedules_the_metrics_sync_on_the_maintenance_queue():
    from tasks.celery_app import app

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "quillcast.maintenance.sync_metrics")
    assert entry["options"]["queue"] == MAINTENANCE_QUEUE
    assert app.amqp.router.route({}, entry["task"])["queue"].name == MAINTENANCE_QUEUE


def test_worker_does_not_import_reflex():
    import subprocess
    import sys

    code = "import tasks, sys; tasks.app.loader.import_default_modules(); print('reflex' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_beat_polls_rss_feeds_on_the_maintenance_queue():
    from tasks.celery_app import app

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "quillcast.rss_feeds.poll_due")
    assert entry["options"]["queue"] == MAINTENANCE_QUEUE
    assert app.amqp.router.route({}, entry["task"])["queue"].name == MAINTENANCE_QUEUE
