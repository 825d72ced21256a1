"""Instruments as versioned data: typed definitions, the loader with its checks, scoring."""

from survey.instruments.errors import InstrumentError, InstrumentErrors
from survey.instruments.loader import load_registry, publish
from survey.instruments.registry import InstrumentRegistry, UnknownInstrument
from survey.instruments.schema import InstrumentVersion, Item, ItemType, Kind

__all__ = [
    "InstrumentError",
    "InstrumentErrors",
    "InstrumentRegistry",
    "InstrumentVersion",
    "Item",
    "ItemType",
    "Kind",
    "UnknownInstrument",
    "load_registry",
    "publish",
]
