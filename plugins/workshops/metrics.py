"""Overview tiles of the studios (stub: filled in by the metrics work)."""

METRICS: list = []
