"""Paragraphs longer than the model's window are cut into sentence windows, never truncated."""

from retrieval.index.windows import window_spans


def count(texts):  # one token a character, as for Chinese
    return [len(t) for t in texts]


def test_a_paragraph_that_fits_is_one_window() -> None:
    assert window_spans(["短段落。"], [10], count) == [[(0, 4)]]
    assert window_spans(["不限长度。" * 100], [None], count) == [[(0, 500)]]


def test_long_paragraph_windows_fit_and_cover_every_character() -> None:
    text = "".join(f"第{i}句话说了一点事情。" for i in range(40))
    [spans] = window_spans([text], [30], count)
    assert len(spans) > 1
    assert all(end - start <= 30 for start, end in spans)
    covered: set[int] = set()
    for start, end in spans:
        covered.update(range(start, end))
    assert covered == set(range(len(text)))


def test_consecutive_windows_share_a_sentence() -> None:
    text = "甲说了一句话。乙也说了一句。丙最后说了一句。"
    [spans] = window_spans([text], [15], count)
    assert [text[a:b] for a, b in spans] == [
        "甲说了一句话。乙也说了一句。",
        "乙也说了一句。丙最后说了一句。",
    ]


def test_a_sentence_longer_than_the_window_is_cut_at_commas_then_anywhere() -> None:
    text = "这一句很长，" + "没有标点" * 10 + "。"
    [spans] = window_spans([text], [8], count)
    pieces = [text[a:b] for a, b in spans]
    assert pieces[0] == "这一句很长，"
    assert all(len(p) <= 8 for p in pieces)
    assert "".join(pieces[1:]) == text[len(pieces[0]) :]
