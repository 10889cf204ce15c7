"""Market data: competitors' listings crawled from sources operators manage (docs/market.md)."""
