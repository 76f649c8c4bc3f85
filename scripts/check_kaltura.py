#!/usr/bin/env python3
"""Check your Kaltura account before deploying: `kaltura-discord check-kaltura`, for a checkout without the
console script. The code lives in kaltura_discord.cli.check_kaltura (its docstring has the options and exit codes).
"""

import sys

from kaltura_discord.cli.check_kaltura import *  # noqa: F403 - the tests reach its names through here
from kaltura_discord.cli.check_kaltura import _kaf_host_note, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
