"""One index version: the lexical postings, the dense windows and vectors, and the folder on disk."""
