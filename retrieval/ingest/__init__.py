"""Seed files to paragraphs: finding and decoding files, reading each format, the paragraph types."""
