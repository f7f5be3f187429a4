"""Seeds to cited answers: paragraphs, a jieba BM25 leg, a FAISS dense leg, fusion, abstention."""

from .build import BuildReport, build_index, up_to_date
from .changes import SeedChanges, seed_changes
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
from .progress import SILENT, Meter
from .question import MAX_QUESTION_CHARS, clean_question
from .search import Answer, Hit, Searcher
from .store import Manifest, build_running, read_index, read_manifest

__all__ = [
    "MAX_QUESTION_CHARS",
    "SILENT",
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
    "Meter",
    "Paragraph",
    "QuestionError",
    "Searcher",
    "SeedChanges",
    "SeedQAError",
    "SeedsNotFoundError",
    "Source",
    "build_index",
    "build_running",
    "clean_question",
    "read_index",
    "read_manifest",
    "seed_changes",
    "up_to_date",
]
