"""Seed files to paragraphs: finding, decoding and reading each format, and the paragraph parser."""
