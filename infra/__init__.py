"""Infrastructure: what the use cases rely on: mail, PDFs, one-time tokens, database locks,
the document store (storage/)…

`services/` holds the use cases; the modules here know nothing of GraphQL or of the product's
rules, they send, render, store and lock.
"""
