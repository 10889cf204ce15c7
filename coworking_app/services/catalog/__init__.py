"""Spaces and finding them: the public space page, search, photos, the owner's editor, moderation of spaces, geography, map tiles and the page cache."""
