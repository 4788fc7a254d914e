"""``python -m lossapi`` is the ``lossapi`` command."""

import sys

from .cli import main

# Guarded: ``lossapi check`` starts worker processes that import this module again.
if __name__ == "__main__":
    sys.exit(main())
