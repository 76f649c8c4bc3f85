#!/usr/bin/env python3
"""Send a signed interaction to the running local stack (`make run`) and print what comes back."""

from kaltura_discord.local.client import main

if __name__ == "__main__":
    raise SystemExit(main())
