"""Operations: backups of the database and the media files, and restoring them
(docs/operations-backup.md)."""
