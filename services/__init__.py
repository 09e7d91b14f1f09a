"""Use cases in plain async Python. No GraphQL and no HTTP in here."""
