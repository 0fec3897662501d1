"""Feeds: fetch (HTTP -> FetchResult cases), parse (bytes -> Entry), identity, policy."""
