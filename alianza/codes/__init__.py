"""Shared, domain-free helpers: countries, identifier validators, problem formatting.

Nothing here imports a domain; every domain (and auth, node, exchange, identity, web)
may import from here.
"""
