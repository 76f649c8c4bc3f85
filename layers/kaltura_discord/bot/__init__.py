"""The application: wires the Discord side to the domain (routes, command handlers, jobs, worker)."""
