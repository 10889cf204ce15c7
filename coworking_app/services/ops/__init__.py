"""Operations: what load balancers, orchestrators and operators ask of a running instance
(readiness), and backups of the database and the media files (docs/operations.md)."""
