"""Seeds to cited answers: paragraphs, a jieba BM25 leg, a FAISS dense leg, fusion, abstention.

Front-ends use the names in ``__all__`` and nothing else: :class:`Engine` answers and describes
the version in use (:class:`IndexInfo`), ``build_index`` and the manifest readers build and
inspect, ``evaluate`` measures.
"""

from .encoder import Encoder
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
from .index.info import IndexInfo, Mode, Skipped, index_info
from .index.store import Manifest, build_running, read_index, read_manifest
from .ingest.paragraphs import Paragraph, Source
from .lifecycle.build import BuildReport, build_index, up_to_date
from .lifecycle.changes import SeedChanges, seed_changes
from .progress import SILENT, Meter
from .search.engine import Context, Engine
from .search.evaluation import DEPTH as EVAL_DEPTH
from .search.evaluation import SNIPPET as EVAL_SNIPPET
from .search.evaluation import EvalQuestion, EvalReport, Miss, evaluate, load_questions
from .search.question import MAX_QUESTION_CHARS, clean_question
from .search.searcher import Answer, Hit, Searcher

__all__ = [
    "EVAL_DEPTH",
    "EVAL_SNIPPET",
    "MAX_QUESTION_CHARS",
    "SILENT",
    "Answer",
    "BuildReport",
    "ConfigError",
    "Context",
    "Encoder",
    "Engine",
    "EvalQuestion",
    "EvalReport",
    "Hit",
    "IndexCorruptError",
    "IndexInfo",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "Manifest",
    "Meter",
    "Miss",
    "Mode",
    "Paragraph",
    "QuestionError",
    "Searcher",
    "SeedChanges",
    "SeedQAError",
    "SeedsNotFoundError",
    "Skipped",
    "Source",
    "build_index",
    "build_running",
    "clean_question",
    "evaluate",
    "index_info",
    "load_questions",
    "read_index",
    "read_manifest",
    "seed_changes",
    "up_to_date",
]
