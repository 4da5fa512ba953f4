"""Built-in search spaces (TOML), installed as ``autofeat.search_spaces``."""
