"""One index version: lexical postings, dense windows and their vectors, and the folder on disk."""
