"""Answering: both legs fused as calibrated, abstention, highlights, hot reload, and evaluation."""
