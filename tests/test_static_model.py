"""A static (bag-of-tokens) sentence-transformers model: no window, whole paragraphs embedded."""

from pathlib import Path

import pytest

from embeddings import load_encoder
from retrieval import Searcher, build_index, read_index


def build_static_model(folder: Path, text: str, dimension: int = 16) -> Path:
    """Save a ``StaticEmbedding`` model over the characters of ``text``; returns its folder.

    Like ``sentence-transformers/static-similarity-mrl-multilingual-v1``: a token lookup and a
    mean, with no ``max_seq_length`` (sentence-transformers reports it as infinite).
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocabulary = {"[UNK]": 0, "[PAD]": 1}
    for character in sorted(set(text.lower())):
        if character.strip():
            vocabulary.setdefault(character, len(vocabulary))
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=dimension)])
    target = folder / "static-model"
    model.save(str(target))
    return target


@pytest.fixture(scope="module")
def static_model(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    return build_static_model(tmp_path_factory.mktemp("static"), seed_text)


def test_a_static_model_has_no_window(static_model: Path) -> None:
    encoder = load_encoder(str(static_model))
    assert encoder.max_tokens is None
    assert encoder.encode_passages(["边境党员"]).shape == (1, 16)


def test_a_static_model_indexes_whole_paragraphs_and_answers(
    static_model: Path, seeds: Path, tmp_path: Path
) -> None:
    encoder = load_encoder(str(static_model))
    report = build_index(seeds, tmp_path / "index", encoder, encoder.name)
    assert report.mode == "hybrid"
    assert report.windows == report.paragraphs  # one window a paragraph: nothing cut, nothing lost
    answer = Searcher(read_index(tmp_path / "index"), encoder).ask("临时党支部有多少个？")
    assert answer.mode == "hybrid" and answer.hits
    assert "临时党支部16个" in answer.hits[0].paragraph.text
