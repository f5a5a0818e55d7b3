"""``python -m g4f``: the same as the ``g4f`` command."""

import sys

from .cli import main

sys.exit(main())
