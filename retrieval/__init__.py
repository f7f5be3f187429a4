"""Seeds to cited answers: paragraphs, a jieba BM25 leg, a FAISS dense leg, fusion, abstention."""

from .lifecycle.build import BuildReport, build_index, up_to_date
from .lifecycle.changes import SeedChanges, seed_changes
from .encoder import Encoder
from .search.engine import Engine
from .errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    QuestionError,
    SeedQAError,
    SeedsNotFoundError,
)
from .ingest.paragraphs import Paragraph, Source
from .ingest.seeds import check_seeds_folder
from .progress import SILENT, Meter
from .search.question import MAX_QUESTION_CHARS, clean_question
from .search.searcher import Answer, Hit, Searcher
from .index.store import Manifest, build_running, read_index, read_manifest

__all__ = [
    "MAX_QUESTION_CHARS",
    "SILENT",
    "Answer",
    "BuildReport",
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
    "check_seeds_folder",
    "clean_question",
    "read_index",
    "read_manifest",
    "seed_changes",
    "up_to_date",
]
