"""Generated answers over the retrieved passages, every sentence checked against what it cites."""

from .check import CheckedSentence, Passage, check_reply, supported
from .client import LLMSettings
from .generator import GeneratedAnswer, Generator, Outcome

__all__ = [
    "CheckedSentence",
    "GeneratedAnswer",
    "Generator",
    "LLMSettings",
    "Outcome",
    "Passage",
    "check_reply",
    "supported",
]
