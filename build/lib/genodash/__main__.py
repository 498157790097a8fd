"""``python -m genodash``: runs the command line of :mod:`genodash.cli`."""

from genodash.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
