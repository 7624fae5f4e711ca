"""Helpers in a top-level package no configuration names: project code all the same."""
