"""The performance machinery that still earns its place: the executor, the operation caches,
SQLite's reading connections and process tuning. What each buys (figures), what it relies on
and the setting that switches it off: README.md here.
"""
