"""The progress board's read model (R9, R37): what the web board shows, read from the tables —
pure-ish functions over a context, no HTML — and the personal links that open it (R22, R25)."""
