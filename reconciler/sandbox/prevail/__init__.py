"""The Prevail emulator (sessions and session requests), mounted by the sandbox at `/prevail`.

`routes` serves the API and assembles the emulator; `auth` finds and verifies the JWTs; `errors`
is the error body, its exception and the guard every endpoint wears; `validation` is what a body
may hold; `queries` the list parameters and list pages; `records` the stored sessions and their
life cycle; `zones` the Rails time zone names; `seed` the demo and bulk data; `admin` the
`/_sandbox/prevail` routes.
"""
