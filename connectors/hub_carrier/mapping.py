"""Pure translation for the hub carrier protocol: the carrier's answer to an offer, and its reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from hub.plugins import MAPPINGS_DIR, DispatchResult, InboundEvent, MappingWarning, Table, load_table

#: Status codes a carrier may report → the hub's canonical status.
STATUSES = load_table(MAPPINGS_DIR / "hub_carrier", "statuses")
#: What a carrier may report: a carrier moves goods, it does not assign, plan, cancel or reopen deliveries.
CARRIER_STATUSES = frozenset(
    {"picked_up", "in_transit", "arriving", "delivered", "failed_attempt", "rescheduled", "returned"})
REPORT_KINDS = {"delivery.status_changed": "status", "delivery.pod_captured": "pod"}


def _checked(table: Table) -> dict[str, str]:
    for code, status in table["statuses"].items():
        if status not in CARRIER_STATUSES:
            raise table.error(("statuses", code), f"{status!r} is not a status a carrier may report")
    return dict(table["statuses"])


_CODES = _checked(STATUSES)


def status_table() -> dict[str, str]:
    return _CODES


def canonical_status(code: str) -> tuple[str, MappingWarning | None]:
    status = status_table().get(str(code).strip().lower())
    if status is None:
        return "unknown", MappingWarning("carrier_status_unknown", f"unknown carrier status {code!r}", "$.data.status")
    return status, None


def dispatch_result(answer: Mapping[str, Any]) -> DispatchResult:
    """{"accepted": true, "reference": "..."} or {"accepted": false, "reason": "..."}; anything else is a refusal."""
    if answer.get("accepted") is True:
        reference = answer.get("reference")
        return DispatchResult(accepted=True, external_ref=str(reference) if reference is not None else None)
    reason = answer.get("reason")
    return DispatchResult(accepted=False, reason=str(reason) if reason else "the carrier did not accept the job")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def report_event(report: Mapping[str, Any]) -> InboundEvent:
    """A report {"type", "job_id", "occurred_at", "data"} as the hub's inbound event (external_id = job id)."""
    kind = REPORT_KINDS.get(str(report.get("type")))
    job_id = report.get("job_id")
    if kind is None or not isinstance(job_id, str) or not isinstance(report.get("data"), dict):
        return InboundEvent("ignored", None, {}, str(report.get("type", "")),
                            reason="not a report: needs type, job_id and data")
    data = dict(report["data"])
    if kind == "status":
        status, warning = canonical_status(data.get("status", ""))
        if warning is not None:
            return InboundEvent("ignored", job_id, {}, str(report["type"]), reason=warning.message)
        data["status"] = status
    payload = {"type": report["type"], "job_id": job_id, "data": data}
    for optional in ("occurred_at", "media_urls"):  # media_urls: a proof's images as links the hub downloads
        if report.get(optional):
            payload[optional] = report[optional]
    return InboundEvent(kind, job_id, payload, str(report["type"]), occurred_at=_when(report.get("occurred_at")))  # type: ignore[arg-type]
