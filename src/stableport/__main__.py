"""``python -m stableport``: the same as the ``stableport`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
