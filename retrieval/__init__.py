"""Seeds to cited answers: paragraphs, a jieba BM25 leg, a FAISS dense leg, fusion, abstention.

Front-ends use the names in ``__all__`` and nothing else: :class:`Engine` answers and describes
the version in use (:class:`IndexInfo`), ``build_index`` and the manifest readers build and
inspect, ``evaluate`` measures.
"""

from .dialogue import Conversation, Dialogue, Reply, Turn
from .dialogue.evaluation import (
    ConversationReport,
    evaluate_conversations,
    is_conversation_file,
    load_conversations,
)
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
from .generation import CheckedSentence, GeneratedAnswer, Generator, LLMSettings
from .generation.evaluation import GenerationTally
from .index.info import IndexInfo, Mode, index_info
from .index.manifest import Manifest
from .index.record import BuildRecord, Reuse, model_key, reuse
from .index.store import FORMAT, build_running, read_index, read_manifest
from .ingest.paragraphs import Paragraph, Source
from .ingest.seeds import SeedFile, check_seeds_folder
from .lifecycle.build import BuildReport, Models, build_index, up_to_date
from .lifecycle.changes import SeedChanges, seed_changes, seeds_changed
from .lifecycle.status import Status, status
from .progress import SILENT, Meter
from .search.engine import Context, Engine
from .search.evaluation import DEPTH as EVAL_DEPTH
from .search.evaluation import SNIPPET as EVAL_SNIPPET
from .search.evaluation import EvalQuestion, EvalReport, Miss, evaluate, load_questions
from .search.fusion import Calibration
from .search.question import MAX_QUESTION_CHARS, clean_question
from .search.searcher import COVERAGE_FLOOR, LATER_FLOOR, Answer, Hit, Searcher
from .text.normalize import is_cjk
from .text.sentences import SENTENCE_ENDS

__all__ = [
    "COVERAGE_FLOOR",
    "EVAL_DEPTH",
    "EVAL_SNIPPET",
    "FORMAT",
    "LATER_FLOOR",
    "MAX_QUESTION_CHARS",
    "SENTENCE_ENDS",
    "SILENT",
    "Answer",
    "BuildRecord",
    "BuildReport",
    "Calibration",
    "CheckedSentence",
    "Context",
    "Conversation",
    "ConversationReport",
    "Dialogue",
    "Encoder",
    "Engine",
    "EvalQuestion",
    "EvalReport",
    "GeneratedAnswer",
    "GenerationTally",
    "Generator",
    "Hit",
    "IndexCorruptError",
    "IndexInfo",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "LLMSettings",
    "Manifest",
    "Meter",
    "Miss",
    "Mode",
    "Models",
    "Paragraph",
    "QuestionError",
    "Reply",
    "Reuse",
    "Searcher",
    "SeedChanges",
    "SeedFile",
    "SeedQAError",
    "SeedsNotFoundError",
    "Source",
    "Status",
    "Turn",
    "build_index",
    "build_running",
    "check_seeds_folder",
    "clean_question",
    "evaluate",
    "evaluate_conversations",
    "index_info",
    "is_cjk",
    "is_conversation_file",
    "load_conversations",
    "load_questions",
    "model_key",
    "read_index",
    "read_manifest",
    "reuse",
    "seed_changes",
    "seeds_changed",
    "status",
    "up_to_date",
]
