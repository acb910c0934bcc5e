"""A reporter's message becomes a stored tip: stored durably before it is acknowledged (in batches,
with group commit), spooled to disk while the database is down, its files fetched from Twilio
and erased there by a job.
"""
