"""The real English model (all-MiniLM-L6-v2) finds answers that share no word with the question."""

from pathlib import Path

import pytest

from embeddings import load_encoder
from retrieval import Searcher, build_index, read_index
from retrieval.text.terms import terms

CORPUS = Path(__file__).resolve().parent / "data" / "english"

PARAPHRASES = [
    ("Which pet makes a low rumbling noise when happy?", "Cats purr when they are content"),
    ("Why do some mountains blow up violently?", "A volcano erupts"),
    ("Why do riders shift to a different ratio on a climb?", "Gears let a rider"),
]


@pytest.fixture(scope="module")
def searchers(
    tmp_path_factory: pytest.TempPathFactory, english_model: Path
) -> tuple[Searcher, Searcher]:
    encoder = load_encoder(str(english_model))
    root = tmp_path_factory.mktemp("english") / "index"
    build_index(CORPUS, root, encoder, encoder.name)
    index = read_index(root)
    return Searcher(index, encoder), Searcher(index)


@pytest.mark.parametrize(("question", "answer"), PARAPHRASES)
def test_a_question_sharing_no_word_is_found_by_the_dense_leg(
    searchers: tuple[Searcher, Searcher], question: str, answer: str
) -> None:
    hybrid, lexical = searchers
    paragraph = next(hit.paragraph for hit in hybrid.ask(question).hits)
    assert paragraph.text.startswith(answer)
    assert not set(terms(question)) & set(terms(paragraph.text))
    assert lexical.ask(question).abstained


def test_off_topic_questions_still_abstain_in_hybrid_mode(
    searchers: tuple[Searcher, Searcher],
) -> None:
    hybrid, _ = searchers
    for question in ["Who won the 2018 World Cup?", "What is the capital of Peru?", "hello"]:
        assert hybrid.ask(question).abstained, question
