"""Answering over a loaded index: both legs, fusion and its calibration, abstention, highlights."""
