"""``python -m modelslab_transport.check``: the same as the ``modelslab-check`` script."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
