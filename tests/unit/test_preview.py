from app.services.planning.preview import segments


def kinds(text):
    return [(s["kind"], s["text"]) for s in segments(text)]


def test_links_mentions_and_hashtags_are_found():
    assert kinds("Hi @ada.bsky.social, see https://example.com/a-very-long-path/that/goes/on/and/on. #launch!") == [
        ("text", "Hi "), ("mention", "@ada.bsky.social"), ("text", ", see "),
        ("link", "example.com/a-very-long-path/…"), ("text", ". "), ("hashtag", "#launch"), ("text", "!"),
    ]


def test_markup_stays_text_and_newlines_are_kept():
    assert kinds("<script>alert(1)</script>\nline two") == [
        ("text", "<script>alert(1)</script>"), ("newline", ""), ("text", "line two")]


def test_unicode_tags_and_not_tags():
    assert kinds("#日本 a#b #123 &#39; mail@x.org") == [
        ("hashtag", "#日本"), ("text", " a#b #123 &#39; mail@x.org")]


def test_mastodon_style_mention():
    assert ("mention", "@ada@mastodon.social") in kinds("cc @ada@mastodon.social")
