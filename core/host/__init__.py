"""The plugin host: the hook specifications, loading plugins, core's own pages and metrics."""
