"""The triage engine (``triage/``) applied to stored tips: reading their texts, deciding them in
batches, storing decisions and duplicate links, routing the confident ones to an antenna.
"""
