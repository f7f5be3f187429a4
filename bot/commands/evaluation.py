"""``seedqa eval``: ask every question of a labelled file and measure the answers."""

from __future__ import annotations

import argparse
from pathlib import Path

from retrieval import evaluate, is_conversation_file, load_questions

from .. import generated, runtime
from ..chat import run_conversation_eval
from ..citations import display_root
from ..console import count
from ..render import dumps
from ..scorecard import scorecard_json, scorecard_text
from . import WHERE_GROUP, Command, Invocation

__all__ = ["COMMAND"]

DESCRIPTION = """\
Ask every question of QUESTIONS and measure the answers: recall@1, @3 and @5 and MRR@10
(a passage is right when it contains the answer text), how often the first passage's
picked-out sentence holds the answer, abstention on unanswerable questions, false abstention
on answerable ones, and latency. Recall, MRR and highlight are shares of the answerable
questions. Lists every miss with the passage that came first instead. Builds the index
first if there is none. Latency is measured after one untimed question has warmed up the
model and the index.
"""

FORMAT = """\
QUESTIONS holds one JSON object a line:
  {"question": "阿里地区创建的党建品牌叫什么？", "answer": "藏西先锋·红色阿里"}
  {"question": "明天北京会下雨吗？", "unanswerable": true}
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "questions", type=Path, metavar="QUESTIONS", help="labelled questions (JSON lines)"
    )


def run(call: Invocation) -> int:
    """Evaluate; the scorecard on standard output."""
    args, console = call.args, call.console
    if is_conversation_file(args.questions):
        return run_conversation_eval(call)
    questions = load_questions(args.questions)  # a bad file is refused before anything loads
    engine = runtime.open_engine(call.settings, console.warn, console.say)
    console.say(f"Asking {count(len(questions), 'question')} from {args.questions}")
    if questions:
        # The first question pays for loading the model and mapping the index: untimed.
        engine.ask(questions[0].question)
    writer = generated.open_writer(call.values)
    try:
        tally = generated.tally(writer)
        report = evaluate(engine.ask, questions, tally.observe if tally else None)
    finally:
        if writer is not None:
            writer.close()
    mode = engine.info.mode
    if args.json:
        console.print(dumps(generated.with_tally(scorecard_json(report, mode), tally)))
    else:
        text = scorecard_text(report, mode, display_root(engine.info.seeds))
        console.print(text + generated.tally_text(tally).rstrip("\n"))
    return 0


COMMAND = Command(
    name="eval",
    help="measure the answers against a file of labelled questions",
    description=DESCRIPTION,
    run=run,
    arguments=_arguments,
    epilog=FORMAT,
    groups=(WHERE_GROUP, generated.LLM_GROUP),
)
