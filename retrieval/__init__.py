"""Seeds to cited answers: paragraphs, a jieba BM25 leg, a FAISS dense leg, fusion, abstention."""

from .encoder import Encoder
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
from .index.manifest import Manifest
from .index.record import BuildRecord, Reuse, model_key, reuse
from .index.store import FORMAT, build_running, read_index, read_manifest
from .ingest.paragraphs import Paragraph, Source
from .ingest.seeds import SeedFile, check_seeds_folder
from .lifecycle.build import BuildReport, Models, build_index, up_to_date
from .lifecycle.changes import SeedChanges, seed_changes, seeds_changed
from .lifecycle.status import Status, status
from .progress import SILENT, Meter
from .search.engine import Engine
from .search.fusion import Calibration
from .search.question import MAX_QUESTION_CHARS, clean_question
from .search.searcher import COVERAGE_FLOOR, Answer, Hit, Searcher
from .text.normalize import is_cjk

__all__ = [
    "COVERAGE_FLOOR",
    "FORMAT",
    "MAX_QUESTION_CHARS",
    "SILENT",
    "Answer",
    "BuildRecord",
    "BuildReport",
    "Calibration",
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
    "Models",
    "Paragraph",
    "QuestionError",
    "Reuse",
    "Searcher",
    "SeedChanges",
    "SeedFile",
    "SeedQAError",
    "SeedsNotFoundError",
    "Source",
    "Status",
    "build_index",
    "build_running",
    "check_seeds_folder",
    "clean_question",
    "is_cjk",
    "model_key",
    "read_index",
    "read_manifest",
    "reuse",
    "seed_changes",
    "seeds_changed",
    "status",
    "up_to_date",
]
