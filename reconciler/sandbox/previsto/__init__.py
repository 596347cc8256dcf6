"""The Previsto emulator (assignments, contacts, agreements), mounted at `/previsto`.

`routes` serves the API and assembles the emulator.
"""
