"""Modules imported at start-up; each registers one part's settings, tabs and panels."""
