"""The meetings domain: a meeting is a Kaltura room mirrored in DynamoDB per guild.

It knows neither Discord nor HTTP: the application layer (``bot/meetings.py``) calls it with plain values, and it
reaches Kaltura through the small :class:`~kaltura_discord.meetings.service.RoomGateway` interface.
"""
