"""The engine: refresh, diff, plan, apply, drift and import over the providers."""
