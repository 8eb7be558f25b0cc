"""R30 协作备忘录: once every head has confirmed the split (R6), the memo — goals, tasks, owners,
dates and the handling of a missed commitment (违约处理) — is signed by each head."""
