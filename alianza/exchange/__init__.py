"""Federation between nodes: peers, signed messages, sync, hit/no-hit, release, witnesses."""
