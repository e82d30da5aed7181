"""Every e-mail template renders (subject, text, HTML) and the task that sends them keeps its name."""

import pytest

from app.services.messaging import email

SAMPLES = {
    "verification": {"name": "Ada", "link": "http://q/verify?token=t", "hours": 24, "change": False},
    "reset": {"name": "Ada", "link": "http://q/reset?token=t", "minutes": 30},
    "invitation": {"inviter": "Ada", "workspace": "Acme", "role": "editor", "link": "http://q/i?token=t",
                   "expires": "in 7 days"},
    "two_factor_changed": {"name": "Ada", "enabled": True, "when": "2026-01-01 10:00", "ip": "192.0.2.1"},
    "new_sign_in": {"name": "Ada", "when": "2026-01-01 10:00", "device": "Firefox on Linux",
                    "ip": "192.0.2.1"},
    "post_failed": {"name": "Ada", "channel": "Bluesky @ada", "network": "Bluesky", "reason": "Too long",
                    "link": "http://q/posts/1"},
    "approval_requested": {"name": "Ada", "workspace": "Acme", "author": "Grace", "excerpt": "Our spring sale…",
                           "targets": [{"channel": "Acme news", "network": "Bluesky",
                                        "when": "Tue 01 Jun 2027, 09:00"}],
                           "timezone": "Europe/Paris", "link": "http://q/compose?post_id=1"},
    "approval_requested_many": {
        "name": "Ada", "workspace": "Acme", "author": "Grace", "count": 23, "timezone": "Europe/Paris",
        "more": 3, "link": "http://q/calendar",
        "posts": [{"excerpt": "Our spring sale…", "link": "http://q/compose?post_id=1",
                   "targets": [{"channel": "Acme news", "network": "Bluesky", "when": "Tue 01 Jun 2027, 09:00"}]}],
    },
    "post_approved": {"name": "Ada", "workspace": "Acme", "reviewer": "Grace", "excerpt": "Our spring sale…",
                      "targets": [{"channel": "Acme news", "network": "Bluesky", "when": "now"}],
                      "timezone": "UTC", "link": "http://q/posts/1"},
    "changes_requested": {"name": "Ada", "workspace": "Acme", "reviewer": "Grace", "excerpt": "Our spring…",
                          "comment": "Add the event link", "link": "http://q/compose?post_id=1"},
}


@pytest.mark.parametrize("template", email.TEMPLATES)
def test_template_renders_text_and_html_with_the_link(template):
    context = {"to": "ada@example.test", **SAMPLES[template]}
    subject, text, html = email.render(template, context)
    assert subject and "\n" not in subject
    assert "Ada" in text and "<html" in html
    if "link" in context:
        assert context["link"] in text and context["link"] in html


def test_names_are_escaped_in_html_but_plain_in_text():
    _s, text, html = email.render("reset", {"to": "a@b.test", "name": "<img src=x onerror=alert(1)>",
                                            "link": "http://q/reset?token=t", "minutes": 30})
    assert "<img" not in html and "&lt;img" in html
    assert "<img src=x onerror=alert(1)>" in text


def test_send_task_name_and_retries_are_pinned():
    from tasks.celery_app import app

    app.loader.import_default_modules()
    task = app.tasks["quillcast.email.send"]
    assert email.SEND_TASK == "quillcast.email.send"
    assert task.autoretry_for == (email.DeliveryFailed,) and task.max_retries == email.MAX_ATTEMPTS - 1
    assert task.retry_backoff and task.retry_jitter and task.acks_late


def test_approval_request_names_workspace_author_channels_and_times():
    subject, text, html = email.render("approval_requested", {"to": "a@b.test", **SAMPLES["approval_requested"]})
    assert subject == "Grace asks you to approve a post in Acme"
    for part in (text, html):
        assert "Our spring sale…" in part and "Acme news" in part and "Bluesky" in part
        assert "Tue 01 Jun 2027, 09:00" in part and "Europe/Paris" in part


def test_a_reviewers_comment_is_text_in_html_and_kept_as_written_in_text():
    comment = "Use <script>alert(1)</script> & check\nthe second line"
    subject, text, html = email.render("changes_requested", {
        "to": "a@b.test", **SAMPLES["changes_requested"], "comment": comment})
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; check" in html
    assert comment in text
    assert subject == "Grace asked for changes to your post in Acme"
