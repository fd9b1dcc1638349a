"""The external channels: e-mail over SMTP and signed webhooks (network only; no rule lives here)."""
