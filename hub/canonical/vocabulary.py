"""Value tables of the canonical model, read from the JSON Schemas so the two can never disagree."""

from __future__ import annotations

from hub.canonical.validation import load_schema

SCHEMA_VERSION = "1"

_DELIVERY = load_schema("delivery.v1")["$defs"]
_ENVELOPE = load_schema("events/envelope.v1")["$defs"]

STATUSES: tuple[str, ...] = tuple(_DELIVERY["Status"]["enum"])
SERVICE_LEVELS: tuple[str, ...] = tuple(_DELIVERY["ServiceLevel"]["enum"])
PRIORITY_TIERS: tuple[str, ...] = tuple(_DELIVERY["PriorityTier"]["enum"])
GEO_SOURCES: tuple[str, ...] = tuple(_DELIVERY["Geo"]["properties"]["source"]["enum"])
TEMPERATURES: tuple[str, ...] = tuple(_DELIVERY["Parcel"]["properties"]["temperature"]["enum"])
SEVERITIES: tuple[str, ...] = tuple(_DELIVERY["DataQualityFlag"]["properties"]["severity"]["enum"])
EVENT_TYPES: tuple[str, ...] = tuple(_ENVELOPE["EventType"]["enum"])
ACTOR_KINDS: tuple[str, ...] = tuple(_ENVELOPE["Actor"]["properties"]["kind"]["enum"])
# Statuses after which nothing more happens to a delivery (no further attempts, no tracking).
TERMINAL_STATUSES: tuple[str, ...] = ("delivered", "returned", "cancelled")

CODE_PATTERN: str = _DELIVERY["Code"]["pattern"]
COUNTRY_PATTERN: str = _DELIVERY["CountryCode"]["pattern"]
CURRENCY_PATTERN: str = _DELIVERY["Money"]["properties"]["currency"]["pattern"]
DELIVERY_ID_PATTERN: str = _DELIVERY["DeliveryId"]["pattern"]
EVENT_ID_PATTERN: str = load_schema("events/envelope.v1")["properties"]["id"]["pattern"]
JOB_ID_PATTERN: str = load_schema("carrier_job.v1")["properties"]["job_id"]["pattern"]
JSON_PATH_PATTERN: str = _DELIVERY["DataQualityFlag"]["properties"]["field"]["pattern"]

_POLICY = load_schema("assignment_policy.v1")
ASSIGNMENT_STRATEGIES: tuple[str, ...] = tuple(_POLICY["$defs"]["Strategy"]["enum"])
AMOUNT_PATTERN: str = _POLICY["$defs"]["Amount"]["pattern"]
POLICY_CURRENCY_PATTERN: str = _POLICY["properties"]["currency"]["pattern"]
EXCEPTION_SEVERITIES: tuple[str, ...] = tuple(load_schema("events/exception.v1")["properties"]["severity"]["enum"])
# Who can hold the goods in the chain of custody, in the order they usually do.
HOLDER_KINDS: tuple[str, ...] = tuple(load_schema("events/handoff.v1")["$defs"]["Holder"]["properties"]["kind"]["enum"])
_RECOVERY = load_schema("events/recovery.v1")["properties"]
RECOVERY_DECIDERS: tuple[str, ...] = tuple(_RECOVERY["decided_by"]["properties"]["kind"]["enum"])
