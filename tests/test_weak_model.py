"""A model that cannot read the documents' language is found out at build time and not used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from embeddings import load_encoder
from retrieval import Searcher, build_index, read_index, read_manifest
from tests.encoders import Recording

DATA = Path(__file__).resolve().parent / "data"


def test_an_english_model_on_a_chinese_page_is_said_weak_and_adds_no_passage(
    seeds: Path, english_model: Path, tmp_path: Path
) -> None:
    encoder = Recording(load_encoder(str(english_model)))
    report = build_index(seeds, tmp_path / "index", encoder, str(english_model))
    assert report.mode == "lexical"
    [note] = [note for note in report.notes if "cannot read them" in note]
    assert note.startswith(f"model {english_model} ranks the right paragraph first for ")
    manifest = read_manifest(tmp_path / "index")
    assert manifest.dense and not manifest.dense_used  # the vectors are kept for a later build

    searcher = Searcher(read_index(tmp_path / "index"), encoder)
    encoder.queries.clear()
    answer = searcher.ask("五步考核法包括哪些内容？")
    assert answer.mode == "lexical" and encoder.queries == []  # the question is not embedded
    assert answer.hits and all(hit.coverage > 0 for hit in answer.hits)  # none by similarity alone


def test_the_same_model_on_english_documents_is_used(english_model: Path, tmp_path: Path) -> None:
    seeds = shutil.copytree(DATA / "english", tmp_path / "seeds")
    encoder = load_encoder(str(english_model))
    report = build_index(seeds, tmp_path / "index", encoder, str(english_model))
    assert report.mode == "hybrid" and not any("cannot read" in note for note in report.notes)
    assert read_manifest(tmp_path / "index").dense_used


def test_asking_with_a_weak_model_by_name_says_why_it_is_not_used(
    seeds: Path, english_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = [
        "--seeds",
        str(seeds),
        "--index",
        str(tmp_path / "index"),
        "--model",
        str(english_model),
    ]
    assert main(["index", "-q", *where], environ={}) == 0
    capsys.readouterr()
    assert main(["ask", "五步考核法包括哪些内容？", *where, "--json"], environ={}) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["mode"] == "lexical"
    assert f"model {english_model} ranks the right paragraph first for " in err
