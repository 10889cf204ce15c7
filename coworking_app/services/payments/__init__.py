"""Money: payments and refunds through the providers, receipts and credit notes."""
