"""``python -m creditflow``: the same as the ``creditflow`` console script."""

from creditflow.cli import main

if __name__ == "__main__":
    main()
