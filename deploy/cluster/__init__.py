"""The app as two instances behind nginx, for a local check (`make cluster`)."""
