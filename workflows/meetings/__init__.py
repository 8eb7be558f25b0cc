"""R29 启动会 / 会议纪要: the kick-off meeting and the Friday 15:00 meeting, their minutes, and
the minutes' action items as tracked items (R31)."""
