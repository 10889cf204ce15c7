"""The operators' side: analytics, tables, exports, the audit log, user administration, maintenance and health."""
