"""Pages: one module per page or area. Pages render state; they run no queries."""
