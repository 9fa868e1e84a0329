"""A drop-in that fails at import: it must be reported, never take the app down."""

raise RuntimeError("county module misconfigured")
