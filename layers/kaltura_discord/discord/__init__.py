"""The Discord side: signatures, Lambda events, interactions, responses, routing and the REST client."""
