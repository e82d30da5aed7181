"""The CSV reader of bulk import, without a database: encodings, separators, quoting and row numbers."""

import pytest

from app.services.errors import ValidationFailed
from app.services.planning import import_file


def test_bom_and_semicolons_and_quoted_line_breaks():
    data = "\ufeffDate;Time;Channel;Text\n2030-01-07;09:30;Sky;\"a;b\nc \"\"quoted\"\"\"\n\n2030-01-08;10:00;Sky;😀\n"
    rows = import_file.read_rows(data.encode())
    # Row numbers are the spreadsheet's: the header is 1; the blank line (row 3) is skipped but counted.
    assert [n for n, _ in rows] == [2, 4]
    assert rows[0][1]["text"] == 'a;b\nc "quoted"' and rows[1][1]["text"] == "😀"


def test_commas_win_when_the_header_has_more_of_them():
    rows = import_file.read_rows(b"date,time,channel,text\n2030-01-07,09:30,Sky,\"one; two\"\n")
    assert rows[0][1]["text"] == "one; two"


def test_an_unclosed_quote_is_named_with_its_line():
    with pytest.raises(ValidationFailed) as refused:
        import_file.read_rows(b'date,time,channel,text\n2030-01-07,09:30,Sky,"never closed\n')
    assert "not valid CSV" in refused.value.message and refused.value.field == "file"


def test_a_huge_file_of_tiny_rows_stops_early():
    data = b"date,time,channel,text\n" + b"a,b,c,d\n" * 50_000
    with pytest.raises(ValidationFailed) as refused:
        import_file.read_rows(data)
    assert "at most 500" in refused.value.message


def test_a_spreadsheet_header_with_spaces_and_capitals():
    rows = import_file.read_rows(b"Date,Time,Channel,Text,First Comment\n2030-01-07,09:30,Sky,hi,thanks\n")
    assert rows[0][1]["first_comment"] == "thanks"
