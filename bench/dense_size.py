"""On-disk size of the dense leg at graph sizes: vectors stored once (format 3) against twice (2).

    .venv/bin/python -m bench.dense_size [--windows 100000] [--dimension 384]

Builds one HNSW graph (``DenseIndex.build``, forced beyond the exact bound) over ``--windows``
unit vectors in clusters (the dimension of all-MiniLM-L6-v2 and multilingual-e5-small by
default), saves it as this code does, and beside it as format 2 did (the same ``save`` with the
vectors also written as ``dense.vectors.npy``, the one line this change removed), and prints both
folders' sizes. The sizes depend only on the window count and the dimension, not on the text.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retrieval.index.dense import VECTORS_FILE, DenseIndex


def mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 2**20


def clustered(
    rng: np.random.Generator, clusters: int, count: int, dimension: int
) -> npt.NDArray[np.float32]:
    """``count`` unit vectors scattered about ``clusters`` random centres."""
    centres = rng.standard_normal((clusters, dimension))
    points = centres[rng.integers(0, clusters, count)]
    points += 0.5 * rng.standard_normal(points.shape)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=100_000)
    parser.add_argument("--dimension", type=int, default=384)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = clustered(rng, max(1, args.windows // 100), args.windows, args.dimension)
    owners = np.arange(args.windows, dtype=np.int32)
    started = time.perf_counter()
    graph = DenseIndex.build(vectors, owners, exact_up_to=0)
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="seedqa-dense-") as scratch:
        once, twice = Path(scratch) / "once", Path(scratch) / "twice"
        once.mkdir()
        twice.mkdir()
        graph.save(once)
        graph.save(twice)
        np.save(twice / VECTORS_FILE, graph.vectors)  # what format 2 wrote besides
        loaded = DenseIndex.load(once)
        assert np.array_equal(loaded.vectors, vectors)
        print(f"{args.windows} windows of {args.dimension} dimensions, built in {built:.0f} s")
        print("| layout | dense files on disk (MiB) |")
        print("|---|---|")
        print(f"| format 2: dense.vectors.npy and dense.graph.faiss | {mib(twice):.1f} |")
        print(f"| format 3: dense.graph.faiss only | {mib(once):.1f} |")


if __name__ == "__main__":
    main()
