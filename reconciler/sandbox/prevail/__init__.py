"""The Prevail emulator (sessions and session requests), mounted at `/prevail`.

`routes` serves the API and assembles the emulator.
"""
