"""The hash-chained, signed audit log."""
