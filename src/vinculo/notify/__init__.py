"""Alerts that reach people: subscriptions, the notifications they raise, and the channels that carry them
(in-app centre with live server-sent events, e-mail, signed webhooks).

model (pure rules) / service (subscriptions, the centre) / engine (match new records and alerts, after the
write that made them) / delivery (external channels, quiet hours, digests) / live (SSE fan-out) / runner
(the background threads) / channels (SMTP, webhook). What a notification holds is always a summary of the
view `release()` gives its user (read through `records.reads`), never the stored record.
"""
