"""``python -m hallkiosk_cli``: the hallkiosk command line."""

import sys

from hallkiosk_cli import main

sys.exit(main())
