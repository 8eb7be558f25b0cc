"""One outbox row → DingTalk OpenAPI calls (the delivery worker calls `deliver`).

- `post`: a card from the generic template into the group (`createAndDeliver`, `outTrackId` =
  the row's idempotency key, which is also the message id later updates use); without a
  template, a markdown robot message (`groupMessages/send`) — readable, not clickable;
- `update`: `PUT /v1.0/card/instances` on the card's `outTrackId`;
- `dm`: the card in the person's 1:1 chat with the robot (`IM_ROBOT.<userId>`), or a 1:1
  markdown message (`oToMessages/batchSend`);
- `urgent` (R14 head and VP steps): the 1:1 card, then a DING (`robot/ding/send`) on it.

Batches (`bot/batching.py`): 1:1 messages with the same content to several people go in one
`oToMessages/batchSend` (up to 20 ids) — when nothing is lost by sending markdown: no buttons
to click (or no card template anyway) and no later update of the card in place. Each person's
outcome finishes their own row: `invalidStaffIdList` → a final error (reported, the row fails),
`flowControlledStaffIdList` after one more try → retried later.
"""
from __future__ import annotations

import json

from adapters.base import DeliveryError, DeliveryResult, Outbound, kind_of
from adapters.dingtalk.api import QPS_WAIT, DingTalkApi, DingTalkApiError
from adapters.dingtalk.render import card_params, markdown_message
from adapters.dingtalk.settings import DingTalkSettings
from workflows.i18n import Translate



async def deliver(message: Outbound, *, api: DingTalkApi, settings: DingTalkSettings,
                  t: Translate) -> DeliveryResult:
    kind = kind_of(message)
    card = message.card()
    if card is None and not message.text:
        raise DeliveryError("outbox payload has neither card nor text", retryable=False)
    if kind == "update":
        if card is None or not message.platform_message_id:
            raise DeliveryError("update needs a card and the card it replaces", retryable=False)
        if settings.card_template_id:
            await api.update_card(out_track_id=message.platform_message_id, params=card_params(card, t))
            return DeliveryResult(platform_message_id=message.platform_message_id)
        kind = "post"  # a markdown message cannot change: post the new state
    user = message.conversation
    if card is not None and settings.card_template_id:
        space = f"IM_GROUP.{message.conversation}" if kind == "post" else f"IM_ROBOT.{user}"
        sent = message.idempotency_key or f"collab-{message.id}"
        await api.create_and_deliver(out_track_id=sent, space=space, params=card_params(card, t))
    else:
        msg_key, msg_param = markdown_message(card, message.text, t)
        if kind == "post":
            sent = await api.group_send(conversation=message.conversation, msg_key=msg_key,
                                        msg_param=msg_param)
        else:
            invalid = await api.oto_send(user_ids=[user], msg_key=msg_key, msg_param=msg_param)
            if invalid:
                raise DeliveryError(f"DingTalk does not know user {invalid}", retryable=False)
            sent = ""
    if kind == "urgent":
        title = card.title if card is not None else message.text
        await api.ding(user_ids=[user], content=title[:500], remind_type=1)
    return DeliveryResult(platform_message_id=sent)


def batch_key(message: Outbound, *, settings: DingTalkSettings, t: Translate) -> str | None:
    """Equal for 1:1 messages that `batchSend` can carry together (see the module docstring)."""
    if message.kind != "dm" or message.card_key:
        return None
    card = message.card()
    if card is not None and card.buttons and settings.card_template_id:
        return None  # its buttons need the card
    if card is None and not message.text:
        return None
    return json.dumps(markdown_message(card, message.text, t), ensure_ascii=False)


async def deliver_batch(messages: list[Outbound], *, api: DingTalkApi,
                        t: Translate) -> list[DeliveryResult | DeliveryError]:
    """One markdown message to every person of `messages` (same content, by `batch_key`)."""
    msg_key, msg_param = markdown_message(messages[0].card(), messages[0].text, t)
    invalid, throttled = await api.oto_send_each(user_ids=[m.conversation for m in messages],
                                                 msg_key=msg_key, msg_param=msg_param)
    results: list[DeliveryResult | DeliveryError] = []
    for m in messages:
        if m.conversation in invalid:
            results.append(DingTalkApiError(f"DingTalk does not know user {m.conversation}",
                                            retryable=False, code="invalidStaffId"))
        elif m.conversation in throttled:
            results.append(DingTalkApiError(f"flow-controlled: {m.conversation}", retryable=True,
                                            retry_after=QPS_WAIT, code="flowControlled"))
        else:
            results.append(DeliveryResult())
    return results
