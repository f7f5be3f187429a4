"""A sentence-transformers model behind a small interface: text in, normalised float32 vectors out.

Only this module imports sentence-transformers (and so torch), and only when a model is loaded,
so that lexical-only use starts fast. Library names that moved between sentence-transformers
versions stay here.
"""

from __future__ import annotations

import logging
import math
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt

from .prompts import Prompts, family_prompts

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["DEFAULT_MODEL", "ModelUnavailableError", "SentenceEncoder", "load_encoder"]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
"""Multilingual (Chinese included), 384 dimensions, a 512-token window; small enough for a CPU."""

PROGRESS_THRESHOLD = 256
"""Texts in one call above which a progress bar is shown (in a terminal only)."""


class ModelUnavailableError(RuntimeError):
    """The embedding model cannot be loaded (not cached and no network, or not a model)."""


class DeviceUnavailableError(RuntimeError):
    """The device asked for (``cuda``, ``mps``…) is not on this machine or not in its torch."""


class SentenceEncoder:
    """Embeds queries and passages with one sentence-transformers model."""

    def __init__(
        self,
        model: SentenceTransformer,
        name: str,
        prompts: Prompts | None = None,
        batch_size: int = 32,
    ) -> None:
        self._model = model
        self.name = name
        own = {k: v for k, v in (model.prompts or {}).items() if v}
        if prompts is None and own.get("query"):
            prompts = Prompts(
                own["query"], own.get("document") or own.get("passage") or own.get("corpus") or ""
            )
        self.prompts = prompts if prompts is not None else family_prompts(name)
        self.batch_size = batch_size
        self.dimension = int(_dimension(model))
        self.max_tokens = self._passage_budget()

    def _passage_budget(self) -> int | None:
        """Tokens a passage may have so that prompt, passage and special tokens fit the window.

        None when the model has no window: a static (bag-of-tokens) model such as a
        ``StaticEmbedding`` reads any length, its ``max_seq_length`` is infinite, and a whole
        paragraph is then one window.
        """
        window = self._model.max_seq_length
        if not window or not math.isfinite(window):
            return None
        specials = len(self._tokenize([""], add_special_tokens=True)[0])
        prompt = self.count_tokens([self.prompts.passage])[0] if self.prompts.passage else 0
        return max(1, int(window) - specials - prompt)

    def _tokenize(self, texts: Sequence[str], add_special_tokens: bool) -> list[list[int]]:
        tokenizer: Any = self._model.tokenizer
        if hasattr(tokenizer, "encode_batch"):  # a bare `tokenizers.Tokenizer`
            return [
                e.ids
                for e in tokenizer.encode_batch(list(texts), add_special_tokens=add_special_tokens)
            ]
        ids: list[list[int]] = tokenizer(
            list(texts), add_special_tokens=add_special_tokens, truncation=False
        )["input_ids"]
        return ids

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """How many tokens each text takes, without prompt or special tokens."""
        return [len(ids) for ids in self._tokenize(texts, add_special_tokens=False)]

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length vectors for questions (with the query prompt)."""
        return self._encode(texts, self.prompts.query)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length vectors for passages (with the passage prompt)."""
        return self._encode(texts, self.prompts.passage)

    def _encode(self, texts: Sequence[str], prompt: str) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) > PROGRESS_THRESHOLD and sys.stderr.isatty(),
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _dimension(model: SentenceTransformer) -> int:
    getter = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    dimension = getter()
    if not dimension:
        raise ModelUnavailableError("the model does not say how many dimensions its vectors have")
    return int(dimension)


def load_encoder(name: str, device: str = "cpu", offline: bool = False) -> SentenceEncoder:
    """Load a model from a local folder, the local cache, or the Hugging Face hub (in that order).

    Downloading is tried only when the hub can be reached at all, so that a machine without
    network learns it at once instead of after a minute of retries. Raises
    :class:`ModelUnavailableError` with the reason when the model cannot be had, and
    :class:`DeviceUnavailableError` when ``device`` is not here (checked first).
    """
    check_device(device)
    folder = Path(name).expanduser()
    if folder.is_dir():
        return SentenceEncoder(_load(str(folder), device, local_files_only=True), name)
    if _path_like(name):
        raise ModelUnavailableError(f"there is no model folder at {name}")
    if _snapshot(name) is not None:
        return SentenceEncoder(_load(name, device, local_files_only=True), name)
    if offline or _hub_offline():
        raise ModelUnavailableError(
            f"model {name} is not in the local cache and downloads are switched off "
            "(HF_HUB_OFFLINE)"
        )
    if not _hub_reachable():
        raise ModelUnavailableError(
            f"model {name} is not in the local cache and the model hub cannot be reached"
        )
    logger.info("Downloading model %s (first use)", name)
    return SentenceEncoder(_load(name, device, local_files_only=False), name)


def check_device(device: str) -> None:
    """Raise :class:`DeviceUnavailableError` unless torch can run a model on ``device``."""
    if device == "cpu":
        return
    import torch

    try:
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError, ValueError) as error:  # torch's by cause
        raise DeviceUnavailableError(
            f"there is no device {device} here ({_first_line(error).split('. ')[0]})"
        ) from error


def model_files(name: str) -> Path | None:
    """Where a model's files are on this machine: its folder, or for a hub name the snapshot in
    the local cache; None when neither is here. Nothing is loaded or downloaded."""
    folder = Path(name).expanduser()
    if folder.is_dir():
        return folder
    return None if _path_like(name) else _snapshot(name)


def _path_like(name: str) -> bool:
    """Whether a model name is a local path (``./m``, ``/opt/m``, ``a/b/c``), not a hub name."""
    return (
        Path(name).expanduser().is_absolute() or name.startswith((".", "~")) or name.count("/") > 1
    )


def _snapshot(name: str) -> Path | None:
    """The hub model ``name``'s snapshot in the local cache, if any (found without torch)."""
    from huggingface_hub import try_to_load_from_cache

    for filename in ("modules.json", "config.json"):
        found = try_to_load_from_cache(name, filename)
        if isinstance(found, str):
            return Path(found).parent
    return None


def _load(source: str, device: str, local_files_only: bool) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    try:
        return SentenceTransformer(source, device=device, local_files_only=local_files_only)
    except Exception as error:  # the loader raises OSError, ValueError, KeyError… by cause
        raise ModelUnavailableError(f"cannot load model {source}: {_first_line(error)}") from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _hub_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _hub_reachable(timeout: float = 3.0) -> bool:
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False
