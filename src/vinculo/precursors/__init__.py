"""Precursor chemicals before they ship: pre-export notifications between competent authorities.

The pure parts live in :mod:`vinculo.cases.preexport` (a notification is a case kind) and
:mod:`vinculo.records.control` (which chemicals are controlled where); :mod:`.service` holds the use cases.
"""
