"""Infrastructure: what the use cases rely on: mail, PDFs, one-time tokens, database locks…

`services/` holds the use cases; the modules here know nothing of GraphQL or of the product's
rules, they send, render, store and lock.
"""
