"""The performance benchmark of the enrollment history (issue 8): `python -m bench`.

It builds its own throw-away SQLite database, so it never touches `var/` or a real database.
See `bench/RESULTS.md` for the last run and how to read it.
"""
