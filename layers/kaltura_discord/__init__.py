"""kaltura-discord: a serverless Discord interactions endpoint for Kaltura meetings."""

__version__ = "0.1.0"
