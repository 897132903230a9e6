"""Per-surface behaviour packages, one per surface that needs Python (``mock.behaviour``)."""
