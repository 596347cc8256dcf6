"""The Previsto emulator (assignments, contacts, agreements), mounted at `/previsto`.

`routes` serves the API and assembles the emulator; `auth` is the API keys and the rate limit;
`errors` the error object and its exception; `validation` what a body may hold; `meta` the
metadata merge rules; `queries` the list parameters; `records` the resources, their writes and
churn; `seed` the demo data; `admin` the `/_sandbox/previsto` routes.
"""
