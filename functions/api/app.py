"""Lambda entry point for the REST API: ``ANY /v1/{proxy+}`` on the HTTP API (payload 2.0)."""

from mangum import Mangum

from kaltura_discord.api.app import create_app

handler = Mangum(create_app(), lifespan="off")
