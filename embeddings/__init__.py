"""Text to normalised vectors with a sentence-transformers model; knows nothing else."""

from .model import (
    DEFAULT_MODEL,
    DeviceUnavailableError,
    ModelUnavailableError,
    SentenceEncoder,
    check_device,
    load_encoder,
    model_files,
)
from .prompts import Prompts, family_prompts

__all__ = [
    "DEFAULT_MODEL",
    "DeviceUnavailableError",
    "ModelUnavailableError",
    "Prompts",
    "SentenceEncoder",
    "check_device",
    "family_prompts",
    "load_encoder",
    "model_files",
]
