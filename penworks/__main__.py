"""`python -m penworks` is `penworks`."""

import sys

from penworks.cli import main

sys.exit(main())
