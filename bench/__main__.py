"""`python -m bench`: run the whole benchmark and write bench/RESULTS.md."""

from bench.run import main

if __name__ == "__main__":
    raise SystemExit(main())
