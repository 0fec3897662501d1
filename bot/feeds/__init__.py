"""Feeds: fetch (httpx -> FetchResult cases), parse (bytes -> Entry), identity, policy."""
