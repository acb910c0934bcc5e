"""Green-number voicemails as the hotline operators see them, and the transcripts they type."""
