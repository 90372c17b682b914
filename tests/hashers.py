"""Argon2id as production uses it, with the cost turned down for the test run.

Django's default cost (100 MB, two passes, eight lanes) takes a quarter of a second per
hash on a two-core machine, and the suite makes a password for nearly every persona.
The hashes stay ``argon2$argon2id$…`` with their parameters inside, so anything that
checks or compares them behaves as in production."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1
