"""What a conversation adds to a turn: its time with the context minus its time alone.

Each last turn of ``tests/data/conversations.jsonl`` is asked many times after its earlier turns,
with the context (``Dialogue.ask``) and alone (``Searcher.ask``), interleaved so that load on
the machine falls on both alike; the figure is the median over turns of the median difference.
Over the sample page, lexical by default (``--model DIR`` for hybrid with a local model)::

    python -m bench.conversation_cost [--repeat 30] [--model DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from retrieval import Searcher, build_index, read_index
from retrieval.dialogue import Conversation, Dialogue
from retrieval.dialogue.evaluation import load_conversations

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="times each turn is asked")
    parser.add_argument("--model", help="a local sentence-transformers folder (hybrid)")
    args = parser.parse_args()
    encoder = None
    if args.model:
        from embeddings import load_encoder

        encoder = load_encoder(args.model)
    with tempfile.TemporaryDirectory() as scratch:
        build_index(ROOT / "seeds", Path(scratch) / "index", encoder, args.model)
        searcher = Searcher(read_index(Path(scratch) / "index"), encoder)
    dialogue = Dialogue(searcher)
    turns = []
    for item in load_conversations(ROOT / "tests" / "data" / "conversations.jsonl"):
        conversation = Conversation()
        for turn in item.turns[:-1]:
            conversation = dialogue.ask(conversation, turn).conversation
        turns.append((conversation, item.turns[-1]))
    for conversation, turn in turns:  # warm jieba, caches and the model
        dialogue.ask(conversation, turn)
    extra, alone_ms, followups = [], [], 0
    for conversation, turn in turns:
        differences, alone = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            reply = dialogue.ask(conversation, turn)
            middle = time.perf_counter()
            searcher.ask(turn)
            ended = time.perf_counter()
            differences.append((middle - started) - (ended - middle))
            alone.append(ended - middle)
        followups += reply.followup
        extra.append(statistics.median(differences) * 1000)
        alone_ms.append(statistics.median(alone) * 1000)
    ordered = sorted(extra)
    print(
        f"{len(turns)} last turns ({followups} read as follow-ups), {searcher.mode}, "
        f"{len(searcher.index.paragraphs)} paragraphs: "
        f"a turn alone {statistics.median(alone_ms):.2f} ms; "
        f"the context adds median {statistics.median(ordered):.2f} ms, "
        f"p90 {ordered[int(0.9 * (len(ordered) - 1))]:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
