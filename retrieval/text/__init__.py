"""Text as the index sees it: normalisation (width, case, script), sentences, and index terms."""
