"""The Prospero emulator (events and webhooks), mounted at `/prospero`.

`routes` serves the API and assembles the emulator.
"""
