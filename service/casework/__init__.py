"""Casework: what duty officers and antenna chiefs do with a tip once triage has decided.

Services take ``*, session`` keyword-only and never commit; the request or job owns the
transaction. Every change and every view of a tip's content leaves an audit entry.
"""
