"""Staff accounts and signing in: passwords (Argon2id), sessions, TOTP, lockout, the
administration of accounts, and the schemas the admin API answers with.
"""
