"""The peers Espace is compared with over HTTP (benchmark code, not product code).

Each one serves the bench's page query for the same tables, with the same rules
(`bench/fair.py`), in its own uvicorn worker process (`python -m bench.peers NAME PORT DIR`):

- `floor`: the least work possible: the rights of the admin persona resolved once at start,
  then per request the count, the page and its documents by hand-written SQL, JSON by orjson.
- `plain`: a plain Starlette endpoint as a person would write it: the bearer token looked up
  (one statement: session, account, accesses), then the same hand-written SQL and JSON.
- `strawberry`: stock Strawberry (its standard executor, no Espace machinery) serving the same
  GraphQL query with typed objects and a DataLoader for the documents, over the same SQL.

Espace itself is served by `espace serve` as in production (`bench/run.py`).
"""
