"""Retention: a reporter's number, then each tip's content, destroyed after fixed periods."""
