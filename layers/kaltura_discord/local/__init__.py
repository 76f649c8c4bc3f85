"""The local stack: everything `make run` and the end-to-end tests start on one machine."""
