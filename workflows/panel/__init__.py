"""R35 联合验收 / 验收小组: acceptance by a group — every collaborating department's head votes
pass/fail with a reason; the verdict follows the rule the request chose."""
