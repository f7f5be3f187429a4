"""Generated answers in the front-ends: the ``--llm`` settings, and the answer as text and JSON.

Off unless an LLM is configured (``--llm URL`` or ``SEEDQA_LLM_URL``); then every answer gets a
generated answer on top, checked sentence by sentence (``retrieval.generation``), or the
extractive sentence marked as such. Async front-ends (the bot) use
:class:`retrieval.generation.Generator` directly — ``async for item in generator.stream(answer)``
gives each checked sentence as it completes and then the final answer; the command line uses
:class:`AnswerWriter`, which runs the same in one event loop of its own.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from retrieval import Answer, GeneratedAnswer, GenerationTally, Generator, LLMSettings

from .citations import Language, language_of
from .commands import Group
from .errors import ConfigError
from .settings import Setting, Values

__all__ = [
    "LLM_GROUP",
    "LLM_SETTINGS",
    "AnswerWriter",
    "generated_json",
    "generated_text",
    "llm_settings",
    "open_writer",
    "tally",
    "tally_text",
    "text_above",
    "with_generated",
    "with_tally",
]

EXCERPT: dict[Language, str] = {
    "zh": "（原文摘录：{why}）",
    "en": " (quoted from the passage: {why})",
}
"""The mark of the extractive fallback, with why the model's answer is not shown."""
WHY: dict[Language, dict[str, str]] = {
    "zh": {
        "no_answer": "模型认为这些段落回答不了",
        "empty": "模型没有作答",
        "unsupported": "模型写的{dropped}句话在段落里找不到依据",
        "failed": "模型服务出错",
        "timeout": "模型超时",
    },
    "en": {
        "no_answer": "the model found no answer in the passages",
        "empty": "the model's reply was empty",
        "unsupported": "{dropped} of the model's sentences were not in the passages",
        "failed": "the model's server failed",
        "timeout": "the model took too long",
    },
}


def _url(value: str) -> str:
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, not {value!r}")
    return value


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"must be a positive number, not {value.strip()!r}")
    return number


def _tokens(value: str) -> int:
    return int(_positive(value))


LLM_URL: Setting[str] = Setting(
    "llm",
    "base URL of an OpenAI-compatible chat API (Ollama: http://127.0.0.1:11434/v1, llama.cpp: "
    "http://127.0.0.1:8080/v1): add an answer in a sentence of its own, every sentence checked "
    "against the passage it cites",
    "--llm",
    "SEEDQA_LLM_URL",
    parse=_url,
    metavar="URL",
    shown_default="off",
)
LLM_MODEL: Setting[str] = Setting(
    "llm_model", "the model to ask", "--llm-model", "SEEDQA_LLM_MODEL", metavar="NAME"
)
LLM_API_KEY: Setting[str] = Setting(
    "llm_api_key", "sent to the LLM as a Bearer token, never logged", env="SEEDQA_LLM_API_KEY"
)
LLM_TIMEOUT: Setting[float] = Setting(
    "llm_timeout",
    "seconds an answer may take before the extractive one is shown",
    env="SEEDQA_LLM_TIMEOUT",
    default=30.0,
    parse=_positive,
)
LLM_CONTEXT: Setting[int] = Setting(
    "llm_context",
    "tokens of context to use at most (less if the server has less)",
    env="SEEDQA_LLM_CONTEXT",
    default=4096,
    parse=_tokens,
)
LLM_SETTINGS: tuple[Setting[Any], ...] = (LLM_URL, LLM_MODEL, LLM_API_KEY, LLM_TIMEOUT, LLM_CONTEXT)
"""The settings of generated answers, for every front-end that offers them."""
LLM_GROUP = Group(
    "generated answers", LLM_SETTINGS, "Off unless --llm (or SEEDQA_LLM_URL) is given."
)


def llm_settings(values: Values) -> LLMSettings | None:
    """The LLM settings resolved; None when no LLM is configured."""
    url = values[LLM_URL]
    if url is None:
        return None
    model = values[LLM_MODEL]
    if model is None:
        raise ConfigError("Name the model to ask: --llm-model NAME (or SEEDQA_LLM_MODEL).")
    return LLMSettings(
        url=url,
        model=model,
        api_key=values[LLM_API_KEY] or None,
        timeout=values[LLM_TIMEOUT] or 30.0,
        context=values[LLM_CONTEXT] or 4096,
    )


class AnswerWriter:
    """Generated answers for a synchronous caller: one event loop, one connection pool."""

    def __init__(self, settings: LLMSettings) -> None:
        self._runner = asyncio.Runner()
        self._generator = Generator(settings)

    def write(self, answer: Answer) -> GeneratedAnswer:
        """The checked answer (or the extractive fallback) for one retrieval answer."""
        return self._runner.run(self._generator.answer(answer))

    def close(self) -> None:
        """Close the connections and the loop."""
        self._runner.run(self._generator.aclose())
        self._runner.close()

    def __enter__(self) -> AnswerWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def generated_json(answer: GeneratedAnswer) -> dict[str, Any]:
    """The ``"answer"`` object of ``seedqa ask --json``."""
    return {
        "text": answer.text,
        "generated": answer.generated,
        "citations": list(answer.citations),
        "dropped": answer.dropped,
        "outcome": answer.outcome,
    }


def generated_text(answer: GeneratedAnswer, language: Language) -> str:
    """The answer to print above the passages: its ``[n]`` are the passages' numbers below."""
    if not answer.text:
        return ""
    if answer.generated:
        return answer.text
    why = WHY[language].get(answer.outcome, answer.outcome).format(dropped=answer.dropped)
    cited = "".join(f"[{n}]" for n in answer.citations)
    return answer.text + cited + EXCERPT[language].format(why=why)


def open_writer(values: Values) -> AnswerWriter | None:
    """The writer of generated answers the settings ask for, if any."""
    settings = llm_settings(values)
    return AnswerWriter(settings) if settings is not None else None


def with_generated(
    data: dict[str, Any], answer: Answer, writer: AnswerWriter | None
) -> dict[str, Any]:
    """``seedqa ask --json``'s object, with its ``"answer"`` when an LLM is configured."""
    if writer is not None:
        data["answer"] = generated_json(writer.write(answer))
    return data


def text_above(answer: Answer, writer: AnswerWriter | None) -> str:
    """The generated answer and a blank line, to print before the passages ("" without an LLM)."""
    if writer is None or answer.abstained:
        return ""
    text = generated_text(writer.write(answer), language_of(answer.question))
    return text + "\n\n" if text else ""


def tally(writer: AnswerWriter | None) -> GenerationTally | None:
    """What ``seedqa eval --llm`` collects, question by question; None without an LLM."""
    return GenerationTally(writer.write) if writer is not None else None


def with_tally(data: dict[str, Any], collected: GenerationTally | None) -> dict[str, Any]:
    """``seedqa eval --json``'s object, with an ``"llm"`` object of figures when measured."""
    if collected is not None:
        report = collected.report()
        data["llm"] = {**report.figures(), "outcomes": report.outcomes}
    return data


def tally_text(collected: GenerationTally | None) -> str:
    """The generated answers' figures, to print after the scorecard ("" without an LLM)."""
    if collected is None:
        return ""
    report = collected.report()
    figures = report.figures()

    def share(key: str, total: int) -> str:
        value = figures[key]
        if value is None:
            return "   n/a"
        return f"{value:6.3f} ({round(float(value) * total)} of {total})"

    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(report.outcomes.items()))
    return "\n".join(
        [
            "",
            "Generated answers (the first three passages given to the LLM):",
            f"  generated        {share('generated', report.answered)}  answered questions "
            "whose answer is generated, not the extractive fallback",
            f"  dropped          {report.dropped:6d}  sentences the check removed",
            f"  supported        {share('supported_answer', report.answerable)}  answerable "
            "questions whose shown answer holds the labelled answer",
            f"  extractive       {share('extractive_supported_answer', report.answerable)}  "
            "the same for the extractive sentence alone",
            f"  llm latency      median {report.latency_ms:.0f} ms added a question",
            f"  outcomes         {outcomes}",
            "",
        ]
    )
