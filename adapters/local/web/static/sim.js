// The simulator: renders the local platform's chats, cards and direct messages, and drives it
// through its HTTP API (/local/messages, /local/actions, /local/clock) — the same paths as curl.
// Live: polls /local/chats (a version that changes with anything shown) and re-renders on change.
"use strict";
const CFG = JSON.parse(document.getElementById("sim-config").textContent);
const S = (key, params) => (CFG.strings[key] || key).replace(/\{(\w+)\}/g, (_, k) => (params || {})[k] ?? "");
const TZ = CFG.workspace.timezone;
const $ = (sel) => document.querySelector(sel);
const state = { me: localStorage.getItem("sim.me") || "", chat: localStorage.getItem("sim.chat") || "g1",
                version: "", now: "", org: null, ephemeral: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function fmt(iso, withDay) {
  const opts = { timeZone: TZ, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
  if (withDay) Object.assign(opts, { year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" });
  return new Intl.DateTimeFormat(CFG.lang, opts).format(new Date(iso));
}

function localInput(iso) {  // the virtual time as the workspace reads it, for <input type=datetime-local>
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour === "24" ? "00" : parts.hour}:${parts.minute}`;
}

function richText(text) {  // light markdown: **bold** and line breaks, everything else as text
  const out = el("div", { class: "text" });
  text.split("\n").forEach((line, i) => {
    if (i) out.append(el("br"));
    line.split(/(\*\*[^*]+\*\*)/).forEach((part) => {
      out.append(part.startsWith("**") && part.endsWith("**") ? el("b", {}, part.slice(2, -2)) : part);
    });
  });
  return out;
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function renderForm(form, messageId) {
  const box = el("form", { class: "card-form", "data-form": form.form_id });
  for (const input of form.inputs) {
    let control;
    if (input.kind === "textarea") control = el("textarea", { name: input.name, rows: 3, placeholder: input.placeholder });
    else if (input.kind === "select" || input.kind === "multiselect") {
      control = el("select", { name: input.name, multiple: input.kind === "multiselect" },
        input.options.map((o) => el("option", { value: o.value }, o.label)));
    } else if (input.kind === "checkbox") {
      control = el("div", { class: "checks" }, input.options.map((o) => el("label", {},
        el("input", { type: "checkbox", name: input.name, value: o.value }), " ", o.label)));
    } else control = el("input", { type: input.kind === "date" ? "date" : "text", name: input.name,
                                   placeholder: input.placeholder });
    if (control.tagName !== "DIV" && input.initial) control.value = input.initial;
    box.append(el("label", { class: "field" }, el("span", {}, input.label + (input.required ? " *" : "")), control));
  }
  box.append(el("button", { class: "primary" }, form.submit_label));
  box.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = { context: form.value || {} };
    for (const input of form.inputs) {
      if (input.kind === "checkbox") value[input.name] = [...box.querySelectorAll(`input[name="${input.name}"]:checked`)].map((c) => c.value);
      else if (input.kind === "multiselect") value[input.name] = [...box.querySelector(`[name="${input.name}"]`).selectedOptions].map((o) => o.value);
      else value[input.name] = box.querySelector(`[name="${input.name}"]`).value;
    }
    await act({ form_id: form.form_id, value, message_id: messageId || "" });
  });
  return box;
}

function renderCard(card, messageId) {
  const me = state.me;
  const node = el("div", { class: `card tone-${card.tone}` }, el("div", { class: "card-title" }, card.title));
  if (card.mentions.length) {
    node.append(el("div", { class: "mentions" }, card.mentions.map((m) =>
      el("span", { class: "mention" + (m.user === me ? " me" : "") }, "@" + (m.name || m.user)))));
  }
  if (card.text) node.append(richText(card.text));
  if (card.fields.length) {
    node.append(el("div", { class: "fields" }, card.fields.map((f) =>
      el("div", { class: "field-item" + (f.short ? "" : " wide") }, el("div", { class: "label" }, f.label), richText(f.value)))));
  }
  if (card.buttons.length) {
    node.append(el("div", { class: "buttons" }, card.buttons.map((b) => el("button", {
      class: `btn ${b.style}`, "data-action": b.action_id, title: b.confirm || "",
      onclick: async () => {
        if (b.confirm && !window.confirm(b.confirm)) return;
        await act({ action_id: b.action_id, value: b.value, message_id: messageId || "" });
      } }, b.label))));
  }
  if (card.form) node.append(renderForm(card.form, messageId));
  if (card.footer) node.append(el("div", { class: "footer" }, card.footer));
  return node;
}

function renderMessage(m) {
  const edited = m.updated_at !== m.created_at ? el("span", { class: "edited" }, " · " + S("sim.edited")) : null;
  const badge = m.urgent ? el("span", { class: "urgent-badge" }, "‼ " + S("sim.urgent") + " · " + S("sim.escalation." + (m.escalation || "head"))) : null;
  return el("div", { class: "msg" + (m.urgent ? " urgent" : ""), "data-id": m.id },
    el("div", { class: "meta" }, el("b", {}, "collab-bot"), " ", fmt(m.created_at, false), edited, badge),
    m.card ? renderCard(m.card, m.id) : richText(m.text));
}

function person(key) { return (state.org?.people || []).find((p) => p.id === key); }

function roleOf(p) {
  const roles = [];
  for (const d of state.org.departments) {
    if (d.head === p.id) roles.push(d.name + S("sim.head"));
    else if (d.liaison === p.id) roles.push(d.name + S("sim.liaison"));
  }
  if (state.org.departments.some((d) => d.vp === p.id)) roles.push(S("sim.vp"));
  return roles.length ? roles.join("、") : (p.department || "");
}

function renderPeople() {
  const select = $("#me");
  select.innerHTML = "";
  const groups = {};
  for (const p of state.org.people) (groups[p.department || "—"] ||= []).push(p);
  for (const [dept, people] of Object.entries(groups)) {
    select.append(el("optgroup", { label: dept }, people.map((p) =>
      el("option", { value: p.id, selected: p.id === state.me }, `${p.name} · ${roleOf(p)}`))));
  }
}

async function act(body) {
  const reply = await api("/local/actions", { chat: state.chat, user: state.me, ...body })
    .catch((err) => ({ ok: false, reply: S("sim.submit_failed") + err.message }));
  if (body.form_id && reply.ok !== false) {  // a submitted form closes, like a modal would
    state.ephemeral = state.ephemeral.filter((x) => !(x.form && x.form.form?.form_id === body.form_id && x.chat === state.chat));
  }
  if (reply.reply || reply.form || (reply.card && !body.message_id)) note(reply);
  else renderEphemeral();
  await refresh(true);
}

function note(reply) {
  state.ephemeral.push({ chat: state.chat, me: state.me, ...reply });
  renderEphemeral();
}

function renderEphemeral() {
  const box = $("#ephemeral");
  box.innerHTML = "";
  for (const r of state.ephemeral.filter((x) => x.chat === state.chat && x.me === state.me).slice(-3)) {
    const item = el("div", { class: "ephemeral-item" + (r.ok === false ? " bad" : "") },
      el("div", { class: "meta" }, "🔒 " + S("sim.only_you"),
        el("button", { class: "close", onclick: () => { state.ephemeral.splice(state.ephemeral.indexOf(r), 1); renderEphemeral(); } }, "×")));
    if (r.reply) item.append(richText(r.reply));
    if (r.card) item.append(renderCard(r.card, ""));
    if (r.form) item.append(renderCard(r.form, ""));
    box.append(item);
  }
}

async function refresh(force) {
  const info = await api("/local/chats");
  const key = `${info.version}|${info.now}|${state.me}|${state.chat}`;
  if (!force && key === state.version) return;
  state.version = key;
  $("#now").textContent = fmt(info.now, true);
  if (!$("#clock-at").value || !state.clockTouched) $("#clock-at").value = localInput(info.now);
  const chats = info.chats.includes(state.chat) ? info.chats : [state.chat, ...info.chats];
  $("#chat-list").replaceChildren(...chats.map((c) => el("li", { class: c === state.chat ? "active" : "" },
    el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); openChat(c); } }, "# " + c))));
  $("#chat-title").textContent = "# " + state.chat;
  const [room, dms] = await Promise.all([api(`/local/chats/${encodeURIComponent(state.chat)}/messages`),
                                         api(`/local/users/${encodeURIComponent(state.me)}/messages`)]);
  const list = $("#messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...(room.messages.length ? room.messages.map(renderMessage)
                                                  : [el("p", { class: "empty" }, S("sim.no_messages"))]));
  if (atBottom || force) list.scrollTop = list.scrollHeight;
  $("#me-name").textContent = person(state.me)?.name || state.me;
  $("#dms").replaceChildren(...(dms.messages.length ? dms.messages.slice().reverse().map(renderMessage)
                                                    : [el("p", { class: "empty" }, S("sim.no_private"))]));
}

function openChat(chat) {
  state.chat = chat;
  localStorage.setItem("sim.chat", chat);
  renderEphemeral();
  refresh(true);
}

async function moveClock(body) {
  await api("/local/clock", body);
  await refresh(true);
}

async function start() {
  state.org = await api("/local/org");
  if (!person(state.me)) state.me = (state.org.people.find((p) => p.department) || state.org.people[0] || {}).id || "";
  renderPeople();
  $("#me").addEventListener("change", (ev) => { state.me = ev.target.value; localStorage.setItem("sim.me", state.me); renderEphemeral(); refresh(true); });
  $("#composer").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("#text").value.trim();
    if (!text) return;
    const reply = await api("/local/messages", { chat: state.chat, user: state.me, text })
      .catch((err) => ({ ok: false, reply: S("sim.submit_failed") + err.message }));
    $("#text").value = "";
    if (reply.reply || reply.card || reply.form) note(reply);
    await refresh(true);
  });
  $("#text").addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("#send").click(); });
  $("#new-chat").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = ev.target.chat.value.trim();
    if (name) openChat(name);
    ev.target.reset();
  });
  $("#clock-15").addEventListener("click", () => moveClock({ advance_minutes: 15 }));
  $("#clock-2h").addEventListener("click", () => moveClock({ advance_minutes: 120 }));
  $("#clock-next").addEventListener("click", async () => moveClock({ set: (await api("/sim/time?next_workday=1")).at }));
  $("#clock-at").addEventListener("input", () => { state.clockTouched = true; });
  $("#clock-set").addEventListener("click", async () => {
    state.clockTouched = false;
    const local = $("#clock-at").value;
    const at = local && await api("/sim/time?local=" + encodeURIComponent(local)).catch(() => null);
    if (!at) { note({ ok: false, reply: S("sim.bad_time") }); return; }
    await moveClock({ set: at.at });
  });
  await refresh(true);
  setInterval(() => refresh(false).catch(() => {}), 800);
}

start();
