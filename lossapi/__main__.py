"""``python -m lossapi`` is the ``lossapi`` command."""

import sys

from .cli import main

sys.exit(main())
