"""``python -m mock_server`` is ``channels-mock``."""

import sys

from mock_server.cli import main

sys.exit(main())
