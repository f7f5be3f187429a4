"""Seeds to cited answers: paragraphs, a jieba BM25 leg, a FAISS dense leg, fusion, abstention."""

from .build import BuildReport, build_index, up_to_date
from .encoder import Encoder
from .engine import Engine
from .errors import (
    ConfigError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    QuestionError,
    SeedQAError,
    SeedsNotFoundError,
)
from .paragraphs import Paragraph, Source
from .question import MAX_QUESTION_CHARS, clean_question
from .search import Answer, Hit, Searcher
from .store import Manifest, read_index, read_manifest

__all__ = [
    "MAX_QUESTION_CHARS",
    "Answer",
    "BuildReport",
    "ConfigError",
    "Encoder",
    "Engine",
    "Hit",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "Manifest",
    "Paragraph",
    "QuestionError",
    "Searcher",
    "SeedQAError",
    "SeedsNotFoundError",
    "Source",
    "build_index",
    "clean_question",
    "read_index",
    "read_manifest",
    "up_to_date",
]
