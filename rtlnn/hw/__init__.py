"""Amaranth generators: one layer kind per module, plus the shared arithmetic blocks."""
