"""The highlight skips segmenting sentences that cannot hold a question term: it must pick the same."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.search.highlight import _shared
from retrieval.text.sentences import sentences
from retrieval.text.terms import question_terms, terms

DATA = Path(__file__).resolve().parent / "data"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MIXED = [
    "本报拉萨讯(记者 李梅英)日前,記者從西藏藏醫藥大學了解到。",
    "The Li River flows through Guilin; 漓江 is 83 km long.",
    "ＡＢＣ公司于２０２０年成立，員工１２０名。",
]


def test_a_sentence_skipped_unsegmented_holds_no_question_term() -> None:
    texts = [
        line for path in sorted(SEEDS.iterdir()) for line in path.read_text("utf-8").split("\n")
    ]
    pieces = [text[a:b] for text in texts + MIXED for a, b in sentences(text)]
    questions = [
        json.loads(line)["question"]
        for path in sorted(DATA.glob("seed_questions*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ] + ["西藏藏醫藥大學是哪一年成立的？", "How long is the Li River?", "ABC公司有多少员工？"]
    segmented = {piece: set(terms(piece)) for piece in pieces}
    skipped = 0
    for question in questions:
        weights = dict.fromkeys(question_terms(question).terms, 1.0)
        for piece in pieces:
            fast = _shared(piece, weights, lambda text: list(segmented[text]))
            assert fast == weights.keys() & segmented[piece], (question, piece)
            skipped += not fast
    assert skipped > len(questions) * len(pieces) / 2  # the shortcut is taken, not only correct
