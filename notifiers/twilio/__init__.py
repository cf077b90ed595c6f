"""Twilio SMS as a notifier plugin (the `twilio` library): send through the Messages API, read status callbacks
(delivery receipts) and incoming messages, both checked with Twilio's RequestValidator signature."""

from hub.plugins import NotifierSpec
from notifiers.twilio.provider import TwilioSms
from notifiers.twilio.settings import TwilioSettings

NOTIFIER = NotifierSpec(
    id="twilio",
    label="Twilio SMS",
    channel="sms",
    version="1.0.0",
    settings_schema=TwilioSettings,
    factory=TwilioSms,
    description="Text messages through Twilio's Messages API, with delivery receipts (status callbacks) and "
                "STOP replies (the number's incoming-message webhook).",
)

__all__ = ["NOTIFIER"]
