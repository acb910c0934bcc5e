"""Plumbing every room uses, and that imports no room: database sessions, errors, outage
detection, group commit, the audit trail, logs, metrics, body limits, migrations, the
triage rules in force, the Twilio client and the job names.
"""
