"""The performance benchmark of the enrollment history: `python -m bench` (bench/RESULTS.md).

It builds its own throw-away SQLite database, so it never touches `var/` or a real database.
See `bench/RESULTS.md` for the last run and how to read it.
"""
