"""Built-in plugins: one package each, found by the plugin host."""
