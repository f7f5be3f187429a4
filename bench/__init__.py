"""Benchmarks, run from the checkout as ``python -m bench.NAME`` (see docs/benchmarks.md)."""
