"""The test suite, and the fakes it shares with bench/: encoders, corpora, a tiny model on disk."""
