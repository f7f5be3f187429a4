"""CSV and JSON seed files as text for the paragraph parser: one record, one paragraph.

A CSV (or TSV) file is a table whose first row is its header: each later row becomes a paragraph
that repeats the header, ``姓名: 张三; 职务: 组长``, so that a question naming a column finds the
row, and the row is cited by its line in the file.

A JSON file holds a list of records (``.json``) or one record a line (``.jsonl``); an object
with no ``text`` of its own may wrap the list (``{"articles": [...]}``). A record is

- a string: the paragraph;
- an object with a ``text`` (or ``content``, ``body``) string — or a list of strings, one
  paragraph each — and optionally a ``title``: records with the same title make one article;
- any other object: its plain fields as one paragraph, ``question: …; answer: …``.

Everything else (numbers alone, nested objects inside a record) holds no text to answer from.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from .decoding import decode
from .formats import Layout, Line, one_line

__all__ = ["RECORDS", "records_layout"]

RECORDS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""Seed file suffixes that hold records, and the format of each."""

TEXT_FIELDS = ("text", "content", "body")
"""The fields of a JSON record that hold its paragraph text, in the order they are looked for."""


def records_layout(data: bytes, kind: str) -> Layout:
    """Read a CSV or JSON file; raises ValueError saying why when it cannot be read."""
    if not data.strip():
        raise ValueError("empty file")
    decoded = decode(data)
    text = decoded.text.removeprefix("\ufeff")
    if kind == "csv":
        lines = list(_csv_lines(text))
    elif kind == "jsonl":
        lines = list(_jsonl_lines(text))
    else:
        lines = list(_json_lines(text))
    return Layout(tuple(lines), decoded.encoding, joins=False)


def _fields(pairs: Iterator[tuple[str, str]]) -> str:
    return "; ".join(f"{name}: {value}" if name else value for name, value in pairs if value)


def _csv_lines(text: str) -> Iterator[Line]:
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [name.strip() for name in next(reader, [])]
        start = reader.line_num + 1
        for row in reader:
            cells = [cell.strip() for cell in row]
            names = header + [""] * (len(cells) - len(header))
            paragraph = one_line(_fields(zip(names, cells, strict=False)))
            if paragraph:
                yield Line(paragraph, start)
                yield Line("", start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ValueError(f"not a readable CSV file (line {reader.line_num}: {error})") from None


def _jsonl_lines(text: str) -> Iterator[Line]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((json.loads(line), number))
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON on line {number} ({error.msg})") from None
    yield from _record_lines(records)


def _json_lines(text: str) -> Iterator[Line]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON (line {error.lineno}: {error.msg})") from None
    if isinstance(value, list):
        yield from _record_lines(zip(value, _element_lines(text), strict=False))
        return
    if isinstance(value, dict) and not _text_of(value):
        lists = [v for v in value.values() if isinstance(v, list) and v]
        if lists:  # a wrapper object: its records, cited at the wrapper's first line
            yield from _record_lines((record, 1) for record in lists[0])
            return
    yield from _record_lines([(value, 1)])


def _element_lines(text: str) -> Iterator[int]:
    """The line each element of a top-level JSON list starts on."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return
        yield text.count("\n", 0, position) + 1
        _, position = decoder.raw_decode(text, position)


def _record_lines(records: Any) -> Iterator[Line]:
    title = None
    for record, line in records:
        if isinstance(record, dict) and isinstance(record.get("title"), str):
            heading = one_line(record["title"])
            if heading and heading != title:
                title = heading
                yield Line("# " + heading, line)
                yield Line("", line)
        for paragraph in _paragraphs(record):
            yield Line(paragraph, line)
            yield Line("", line)


def _paragraphs(record: Any) -> list[str]:
    if isinstance(record, str):
        return [p for p in [one_line(record)] if p]
    if not isinstance(record, dict):
        return []
    text = _text_of(record)
    if text:
        return text
    plain = ((str(k), _scalar(v)) for k, v in record.items() if k != "title")
    paragraph = one_line(_fields(plain))
    return [paragraph] if paragraph else []


def _text_of(record: dict[str, Any]) -> list[str]:
    for field in TEXT_FIELDS:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return [one_line(value)]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [p for p in (one_line(v) for v in value) if p]
    return []


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""  # true/false/null and nested structures say nothing readable on their own
    return str(value)
