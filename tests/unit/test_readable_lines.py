"""The audit log's sentences and the outbox's links, as text rules (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.services.tenancy import audit_log
from state.outbox import split_links


def test_each_action_reads_as_a_sentence_and_an_unknown_one_still_reads():
    values = {"actor": "Ada Lovelace", "post": "a post for Main Sky", "due": ""}
    assert audit_log.sentence("post.scheduled", values) == "Ada Lovelace scheduled a post for Main Sky"
    assert audit_log.sentence("refresh_token.reused", {"actor": "Ada"}) == "Ada: refresh token reused"
    assert audit_log.sentence("auth.sign_in", {}) == "Quillcast signed in"  # no person: the system
    assert audit_log.sentence("backup.taken", {}) == "Quillcast: backup taken"
    # a placeholder the entry did not keep does not break the sentence
    assert audit_log.sentence("api_key.created", {"actor": "Ada"}) == "Ada created the API key ……"


def test_local_time_is_the_zones_wall_clock():
    moment = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
    assert audit_log.local_time(moment, ZoneInfo("Europe/Berlin")) == "3 Dec 2026, 14:05"
    assert audit_log.local_time(moment, ZoneInfo("Asia/Tokyo")) == "3 Dec 2026, 22:05"


def test_every_action_the_services_record_in_a_workspace_has_a_sentence():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app" / "services"
    recorded = set()
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        recorded |= set(re.findall(r'"((?:post|target|channel|workspace|member|invitation|api_key|webhook|media)'
                                   r'\.[a-z_0-9]+)"', text))
    # webhook event names and a log event, not audit actions
    other = {"post.approval_requested", "target.published", "target.failed", "target.unknown", "webhook.attempt"}
    missing = sorted(recorded - set(audit_log.SENTENCES) - other)
    assert missing == []


def test_links_in_a_mail_become_their_own_parts():
    body = "Confirm it: http://127.0.0.1:3000/verify?token=abc_DEF-1.\nOr ignore this (https://x.test/a)."
    parts, links = split_links(body)
    assert links == ["http://127.0.0.1:3000/verify?token=abc_DEF-1", "https://x.test/a"]
    assert "".join(p.text for p in parts) == body
    assert [p.href for p in parts if p.href] == links
