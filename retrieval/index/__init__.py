"""An index version: lexical postings, dense windows and vectors, its build record, the store."""
