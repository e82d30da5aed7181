"""The pieces of the approval e-mails that are plain functions: the post's first words and its times."""

from datetime import UTC, datetime

from app.services.events.approval_notices import EXCERPT_CHARS, excerpt, when_label


def test_excerpt_keeps_short_text_on_one_line():
    assert excerpt("  Hello\n\nworld  ") == "Hello world"


def test_excerpt_cuts_long_text_at_a_word_boundary():
    body = "Spring sale starts Monday: twenty percent off every notebook in the shop, online and in town"
    assert excerpt(body) == "Spring sale starts Monday: twenty percent off every notebook in the shop, online…"
    assert excerpt("word " * 40).endswith("word…") and len(excerpt("word " * 40)) <= EXCERPT_CHARS + 1
    assert excerpt("x" * 200) == "x" * EXCERPT_CHARS + "…"  # one long word is cut where it must be


def test_times_are_shown_in_the_workspace_zone():
    moment = datetime(2027, 6, 1, 7, 30, tzinfo=UTC)
    assert when_label(moment, "Europe/Paris") == "Tue 01 Jun 2027, 09:30"
    assert when_label(moment, "America/New_York") == "Tue 01 Jun 2027, 03:30"
    assert when_label(None, "UTC") == "as soon as it is approved"
