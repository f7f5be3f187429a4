"""The prompt: the top passages numbered [1]…[k] with their titles, and the rules of the answer.

Only what fits the model's context is sent. Tokens are estimated on the safe side (a Chinese
character is about one token in current tokenizers; more is assumed, since an estimate that runs
short lets the server cut the prompt). Passages go in by rank while they fit; a first passage too
long on its own is cut after its last whole sentence that fits, and the check then holds the
answer to the part that was sent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..search.searcher import Hit
from ..text.normalize import is_cjk
from ..text.sentences import sentences
from .check import NO_ANSWER, Passage

__all__ = ["Prompt", "build_prompt", "estimate_tokens"]

MESSAGE_OVERHEAD = 8
"""Tokens a chat template adds around each message (role markers, separators)."""

_SYSTEM = {
    "zh": (
        "你是一个只根据给定资料回答问题的助手。资料分段编号为[1]到[{k}]。\n"
        "规则：\n"
        "1. 只用资料中的信息回答，不要加入资料以外的内容；数字、名称照资料原样写。\n"
        "2. 用中文回答，简洁，一到三句话。\n"
        "3. 每句话结尾标出它依据的资料编号，如“……。[1]”或“……。[1][2]”。\n"
        "4. 如果资料不能回答这个问题，只回答：" + NO_ANSWER
    ),
    "en": (
        "You answer questions using only the given passages, numbered [1] to [{k}].\n"
        "Rules:\n"
        "1. Use only what the passages say; add nothing from elsewhere; copy numbers and names "
        "exactly.\n"
        "2. Answer in English, briefly, in one to three sentences.\n"
        "3. End every sentence with the number(s) of the passage(s) it rests on, like "
        '"... [1]" or "... [1][2]".\n'
        "4. If the passages do not answer the question, reply exactly: " + NO_ANSWER
    ),
}
_USER = {
    "zh": "资料：\n\n{passages}\n\n问题：{question}",
    "en": "Passages:\n\n{passages}\n\nQuestion: {question}",
}


@dataclass(frozen=True, slots=True)
class Prompt:
    """Chat messages for one question and the passages in them, as sent."""

    messages: tuple[dict[str, str], ...]
    passages: tuple[Passage, ...]
    tokens: int
    """Estimated prompt tokens."""


def estimate_tokens(text: str) -> int:
    """A safe-side token count: 1.25 a CJK (or other non-ASCII) character, 1 per 3 ASCII ones."""
    wide = sum(1 for ch in text if not ch.isascii())
    return math.ceil(1.25 * wide + (len(text) - wide) / 3)


def _language(question: str) -> str:
    return "zh" if any(is_cjk(ch) for ch in question) else "en"


def _block(passage: Passage, language: str) -> str:
    title = f"《{passage.title}》" if language == "zh" else f'"{passage.title}"'
    return (
        f"[{passage.number}] {title}\n{passage.text}"
        if passage.title
        else (f"[{passage.number}]\n{passage.text}")
    )


def build_prompt(question: str, hits: Sequence[Hit], budget: int) -> Prompt | None:
    """The prompt for ``question`` over ``hits`` within ``budget`` tokens; None if none fits."""
    language = _language(question)
    # Numbered by position: [n] is the n-th of ``hits`` (their rank when the first page is shown).
    passages = [
        Passage(i, hit.source.title or "", hit.paragraph.text) for i, hit in enumerate(hits, 1)
    ]
    chosen: list[Passage] = []
    for passage in passages:
        trial = _render(question, [*chosen, passage], language)
        if trial.tokens <= budget:
            chosen.append(passage)
            continue
        if not chosen:
            cut = _cut_to_fit(question, passage, budget, language)
            if cut is not None:
                chosen.append(cut)
        break
    return _render(question, chosen, language) if chosen else None


def _cut_to_fit(question: str, passage: Passage, budget: int, language: str) -> Passage | None:
    """The passage's longest run of whole leading sentences that fits, or None."""
    best = None
    for _, end in sentences(passage.text):
        cut = Passage(passage.number, passage.title, passage.text[:end])
        if _render(question, [cut], language).tokens > budget:
            break
        best = cut
    return best


def _render(question: str, passages: Sequence[Passage], language: str) -> Prompt:
    system = _SYSTEM[language].replace("{k}", str(len(passages)))
    body = "\n\n".join(_block(p, language) for p in passages)
    user = _USER[language].format(passages=body, question=question)
    tokens = estimate_tokens(system) + estimate_tokens(user) + 3 * MESSAGE_OVERHEAD
    messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
    return Prompt(messages, tuple(passages), tokens)
