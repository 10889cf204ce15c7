"""Market data (issue 19): competitors' listings, normalised to our prices, terms and amenities."""
