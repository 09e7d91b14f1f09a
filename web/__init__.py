"""HTTP plumbing around the GraphQL app: request ids, JSON logs, limits, headers, metrics.

One concept per module; `server.py` wires them as Starlette middleware.
"""
