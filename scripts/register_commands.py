#!/usr/bin/env python3
"""Register the slash commands with Discord: `kaltura-discord register`, for a checkout without the console script.

The code lives in kaltura_discord.cli.register (its docstring has the options and exit codes).
"""

import sys

from kaltura_discord.cli.register import *  # noqa: F403 - the tests and older docs reach its names through here
from kaltura_discord.cli.register import _Output, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
