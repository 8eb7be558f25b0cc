"""R32 风险应对与沟通机制表: the request's risk register — a risk whose trigger is met raises
itself as an issue (R12), and the Friday report (R8) lists the risks still open."""
