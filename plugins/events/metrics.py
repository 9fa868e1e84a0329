"""The events' overview tiles (stub: filled in by #14's work in progress)."""

METRICS: list = []
