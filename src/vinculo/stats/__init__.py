"""Adapters that turn public drug statistics files into :class:`Point` series."""

from .cbp import parse_cbp
from .cdc_vsrr import parse_cdc_vsrr
from .nflis import parse_nflis
from .series import Point, StatsFormatError
from .unodc import parse_unodc

PARSERS = {
    "cbp": parse_cbp,
    "nflis": parse_nflis,
    "cdc_vsrr": parse_cdc_vsrr,
    "unodc": parse_unodc,
}

__all__ = [
    "PARSERS",
    "Point",
    "StatsFormatError",
    "parse_cbp",
    "parse_cdc_vsrr",
    "parse_nflis",
    "parse_unodc",
]
