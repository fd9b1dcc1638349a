"""Controlled vocabularies shipped as data with Vinculo.

This package only holds CSV files (see ``README.md`` beside them for their sources);
load them through :mod:`vinculo.records.vocabulary`, never by reading the files directly.
"""
