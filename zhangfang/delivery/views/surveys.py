"""Placeholder until this part's pages land."""

urlpatterns: list = []
