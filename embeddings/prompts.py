"""Query and passage prompts that each embedding-model family was trained with.

Retrieval models are trained with asymmetric inputs: e5 expects ``query: `` before a question and
``passage: `` before a passage; BGE expects an instruction before the query and nothing before the
passage. Leaving them out costs several points of recall. A model whose own configuration defines
prompts (``config_sentence_transformers.json``) is trusted over this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Prompts", "family_prompts"]


@dataclass(frozen=True, slots=True)
class Prompts:
    """Text put before a query and before a passage when embedding them."""

    query: str = ""
    passage: str = ""


E5 = Prompts("query: ", "passage: ")
E5_INSTRUCT = Prompts(
    "Instruct: Given a question, retrieve passages that answer the question\nQuery: ", ""
)
BGE_ZH = Prompts("为这个句子生成表示以用于检索相关文章：", "")
BGE_EN = Prompts("Represent this sentence for searching relevant passages: ", "")


_E5 = re.compile(r"(^|[-_])e5([-_.]|$)")
_BGE = re.compile(r"(^|[-_])bge([-_]|$)")


def family_prompts(name: str) -> Prompts:
    """The prompts a model family expects, recognised by the model's name (none if unknown).

    Only the last part of the name counts (``intfloat/multilingual-e5-small``, or the folder of
    a local model), so that a folder path does not match by accident.
    """
    model = name.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1].lower()
    if _E5.search(model):
        return E5_INSTRUCT if "instruct" in model else E5
    if _BGE.search(model) and "m3" not in model:
        if "-zh" in model:
            return BGE_ZH
        if "-en" in model:
            return BGE_EN
    return Prompts()
