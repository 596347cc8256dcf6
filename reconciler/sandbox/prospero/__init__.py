"""The Prospero emulator (events and webhooks), mounted by the sandbox at `/prospero`.

`routes` serves the API and assembles the emulator; `auth` is the account and its cookie tokens;
`errors` the error body, its exception and the guard every endpoint wears; `validation` what a
body may hold; `patching` applies merge patches; `queries` parses and runs list queries;
`records` the stored events, archive and webhooks; `seed` the demo and bulk data; `admin` the
`/_sandbox/prospero` routes.
"""
