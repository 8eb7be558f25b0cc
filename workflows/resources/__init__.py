"""R33 资源需求表: each department lists what it needs (people, person-days, budget, tools) and
may declare what it has available; the initiating side sees the roll-up (flagged where a need
exceeds what was declared available) and may send it up to the VP for approval."""
