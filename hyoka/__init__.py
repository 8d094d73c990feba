"""hyoka: Japanese municipal evaluation sheets from PDF into a DuckDB warehouse."""

__version__ = "0.1.0"
