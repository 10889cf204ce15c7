"""The market crawler (issue 19): a Scrapy project that reads competitors' listings and posts
them, as raw text, to `POST /api/v1/market/listings/batch` (docs: /work/team/MARKET_CONTRACT.md).

An adapter like the REST routes: no database, no business rules beyond extraction. The API
normalises prices and terms (services/market/normalize.py) and stores what it accepts.

- `crawl.py`: the command the RQ job runs in a child process (`python -m coworking_app.market.crawl`),
  and `--test-url` for the operator panel's "test a source".
- `settings.py`: the Scrapy settings built from the command's options.
- `spiders.py`: `jsonld` (schema.org JSON-LD, falling back to microdata and RDFa) and `css`
  (the source's selectors).
- `extract.py`: pure functions from a page to contract items (no Scrapy engine).
- `middlewares.py`: the SSRF guard, retries with backoff, pagination that keeps its depth.
- `pipelines.py`: dedupe by external id and post batches to the API with the run's key.
"""
