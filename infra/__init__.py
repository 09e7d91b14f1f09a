"""Infrastructure adapters: how the application reaches outside systems (object storage)."""
