from hypothesis import given
from hypothesis import strategies as st

from app.services.planning.threads import split


def test_short_text_is_one_part():
    assert split("Hello world.", 300) == ["Hello world."]


def test_splits_between_sentences_and_numbers_parts():
    text = "First sentence is here. Second one follows! Third asks a question? Fourth ends it."
    parts = split(text, 50)
    assert parts[0].startswith("First sentence is here.")
    assert all(len(p) <= 50 for p in parts)
    assert parts[-1].endswith(f"({len(parts)}/{len(parts)})")
    assert " ".join(p.rsplit(" (", 1)[0] for p in parts) == text


def test_a_giant_word_is_cut():
    parts = split("x" * 500, 100)
    assert all(len(p) <= 100 for p in parts) and len(parts) == 6


def test_counts_the_networks_way():
    double = lambda s: 2 * len(s)  # noqa: E731 - e.g. CJK weighting on X
    parts = split("日本語の文です。" * 20, 100, count=double)
    assert all(double(p) <= 100 for p in parts)


def test_empty_is_no_parts():
    assert split("   ", 300) == []


@given(st.text(min_size=1, max_size=2000))
def test_every_part_fits_and_no_text_is_lost(text):
    parts = split(text, 120, numbered=False)
    assert all(len(p) <= 120 for p in parts)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())
