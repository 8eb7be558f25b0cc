"""R28 确认接收: after the initial review each collaborating department confirms it has received
the request, within 1 working day — reminded, then escalated to the VP, like R6."""
