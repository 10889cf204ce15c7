"""Money as a marketplace runs it: the ledger, owner payouts, companies and invoices, penalties."""
