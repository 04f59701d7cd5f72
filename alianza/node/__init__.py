"""The node itself: its identity, its key pair, its creation."""
