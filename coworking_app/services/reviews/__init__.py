"""Reviews, ratings and their moderation."""
