"""Tokens for the REST API: Ed25519-signed JWTs, minted only from verified Discord interactions.

- :mod:`~kaltura_discord.auth.keys`: the signing keys (secret ``JWT_SIGNING_KEYS``), named by ``kid`` for rotation.
- :mod:`~kaltura_discord.auth.tokens`: minting and verifying API tokens and single-use join tokens.
- :mod:`~kaltura_discord.auth.single_use`: the DynamoDB ledger that lets a join token be used once.

PyJWT and cryptography are imported on first use, so importing this package costs nothing.
"""
