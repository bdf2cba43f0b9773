// API handoffs (seeds 002 and 004): the list with search, sort and pages;
// a handoff's form with its channels in priority order, the message each
// sends, and its versions.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, group, formError, showError, readOnly, onSave, showFlash, input, textarea, select,
  table, when, loadingLine, page, deleteButton,
} from "/assets/form.js";
import { smsCount } from "/assets/wizard.js";

const pageSize = 20;
const channelLabels = { sms: "SMS", whatsapp: "WhatsApp", inapp: "In-app" };

// modes are the channel lists a handoff may have, in priority order.
const modes = [
  ["sms", "SMS", ["sms"]],
  ["whatsapp", "WhatsApp", ["whatsapp"]],
  ["prioritized", "WhatsApp, then SMS", ["whatsapp", "sms"]],
  ["inapp", "In-app", ["inapp"]],
];

function modeOf(h) {
  const names = (h.channels || []).map((c) => c.channel).join(",");
  const m = modes.find(([, , cs]) => cs.join(",") === names);
  return m ? m[0] : "sms";
}

function channelsText(h) {
  return (h.channels || []).map((c) => channelLabels[c.channel] || c.channel).join(" → ") || "—";
}

function lookbackText(minutes) {
  const m = minutes || 43200;
  if (m % 1440 === 0) return `${m / 1440} day${m === 1440 ? "" : "s"}`;
  if (m % 60 === 0) return `${m / 60} hour${m === 60 ? "" : "s"}`;
  return `${m} minutes`;
}

// The list's state survives going to a handoff and back.
const listState = { title: "", channel: "", sort: "updatedAt", desc: true, offset: 0 };

export async function handoffs(main, session, rest) {
  if (rest[0] === "new" && canWrite(session)) return form(main, session, null);
  if (rest[0] && rest[0] !== "new") return form(main, session, rest[0]);
  return list(main, session);
}

async function list(main, session) {
  page(main, session, "API handoffs",
    canWrite(session) ? el("a", { class: "button", href: "#handoffs/new", id: "new-handoff" }, "New handoff") : null);
  const title = input({ type: "search", value: listState.title, placeholder: "Title contains…" });
  const channel = select([["", "All channels"], ["sms", "SMS"], ["whatsapp", "WhatsApp"], ["inapp", "In-app"]], listState.channel);
  const filters = el("form", { class: "filters", role: "search" },
    field("title", "Search titles", title), field("channel", "Channel", channel),
    el("button", { type: "submit" }, "Search"));
  const results = el("section", { class: "card", "aria-label": "Handoffs" });
  main.append(filters, results);
  filters.addEventListener("submit", (ev) => {
    ev.preventDefault();
    Object.assign(listState, { title: title.value.trim(), channel: channel.value, offset: 0 });
    load();
  });
  channel.addEventListener("change", () => filters.requestSubmit());

  const sortHeader = (key, label, cls) => {
    const active = listState.sort === key;
    const button = el("button", { type: "button", class: "sort" }, label, active ? (listState.desc ? " ▼" : " ▲") : "");
    button.addEventListener("click", () => {
      Object.assign(listState, { sort: key, desc: active ? !listState.desc : false, offset: 0 });
      load();
    });
    return el("th", { scope: "col", class: cls, "aria-sort": active ? (listState.desc ? "descending" : "ascending") : "none" }, button);
  };

  async function load() {
    clear(results);
    const status = loadingLine(results, "Loading handoffs…");
    const q = new URLSearchParams({ limit: pageSize, offset: listState.offset, sort: (listState.desc ? "-" : "") + listState.sort });
    if (listState.title) q.set("title", listState.title);
    if (listState.channel) q.set("channel", listState.channel);
    let p;
    try {
      p = await call("GET", accountPath(session.account, `/handoffs?${q}`));
    } catch (err) {
      if (err.problem && err.problem.field) { showError(filters, err); status.done(); return; }
      status.fail("The handoffs could not be loaded", err);
      return;
    }
    status.done();
    if (p.handoffs.length === 0) {
      results.append(el("p", { class: "empty" }, listState.title || listState.channel ? "No handoff matches." : "No handoffs yet."));
      return;
    }
    const rows = p.handoffs.map((h) => el("tr", {},
      el("td", { class: "title" }, el("a", { href: `#handoffs/${encodeURIComponent(h.id)}` }, h.title)),
      el("td", { "data-label": "ID" }, el("code", {}, h.id)),
      el("td", { "data-label": "Channels" }, channelsText(h)),
      el("td", { "data-label": "Lookback" }, lookbackText(h.lookbackMinutes)),
      el("td", { "data-label": "Version", class: "num" }, h.version),
      el("td", { "data-label": "Updated" }, when(h.updatedAt))));
    results.append(table("API handoffs", [
      sortHeader("title", "Title"), sortHeader("id", "ID"), el("th", { scope: "col" }, "Channels"),
      sortHeader("lookbackMinutes", "Lookback"), el("th", { scope: "col", class: "num" }, "Version"),
      sortHeader("updatedAt", "Updated")], rows, "stack"));
    results.append(pager(p.total, p.offset, p.limit, (offset) => { listState.offset = offset; load(); }));
  }
  await load();
}

// pager shows where a page is among total and moves between pages.
export function pager(total, offset, limit, go) {
  const prev = el("button", { type: "button", class: "ghost" }, "Previous");
  const next = el("button", { type: "button", class: "ghost" }, "Next");
  prev.disabled = offset <= 0;
  next.disabled = offset + limit >= total;
  prev.addEventListener("click", () => go(Math.max(0, offset - limit)));
  next.addEventListener("click", () => go(offset + limit));
  const to = Math.min(total, offset + limit);
  return el("nav", { class: "pager", "aria-label": "Pages of the list" },
    prev, el("span", { role: "status" }, `${total === 0 ? 0 : offset + 1}–${to} of ${total}`), next);
}

// senders lists the outbound numbers of the account's channel c, for the
// number fields' suggestions.
function senders(channels, c) {
  const cfg = (channels || []).find((x) => x.channel === c);
  return cfg ? (cfg.senders || []).map((s) => s.outboundNumber).filter(Boolean) : [];
}

async function form(main, session, id) {
  page(main, session, id ? "API handoff" : "New API handoff",
    el("a", { class: "button ghost", href: "#handoffs" }, "Back to handoffs"));
  const status = loadingLine(main, "Loading…");
  const acct = (p) => accountPath(session.account, p);
  let h = { title: "", lookbackMinutes: 43200, channels: [{ channel: "sms" }] };
  let versions = [];
  let tpls = [];
  let chans = [];
  let account = {};
  try {
    const got = await Promise.all([
      id ? call("GET", acct(`/handoffs/${encodeURIComponent(id)}`)) : null,
      id ? call("GET", acct(`/handoffs/${encodeURIComponent(id)}/versions`)) : [],
      call("GET", acct("/templates")).catch(() => []),
      call("GET", acct("/channels")).catch(() => []),
      call("GET", acct("/settings")).catch(() => ({})),
    ]);
    if (got[0]) h = got[0];
    [, versions, tpls, chans, account] = got;
  } catch (err) {
    status.fail("The handoff could not be loaded", err);
    return;
  }
  status.done();
  if (id) main.querySelector("h1").textContent = h.title;
  const approved = (tpls || []).filter((t) => t.status === "APPROVED");
  const templateName = (tid) => {
    const t = (tpls || []).find((x) => x.id === tid);
    return t ? `${t.name} (${t.language})` : tid || "";
  };

  // Each channel's values, kept while the mode changes.
  const values = {};
  for (const c of h.channels || []) values[c.channel] = { ...c };
  const value = (c, k) => (values[c] && values[c][k]) || "";

  const title = input({ value: h.title, maxlength: 100, required: true });
  const lb = h.lookbackMinutes || 43200;
  const inDays = lb % 1440 === 0;
  const amount = input({ type: "number", min: 1, step: 1, value: inDays ? lb / 1440 : lb / 60, inputmode: "numeric" });
  const unit = select([["1440", "days"], ["60", "hours"]], inDays ? "1440" : "60");
  amount.setAttribute("aria-label", "Lookback period");
  unit.setAttribute("aria-label", "Lookback unit");
  const lookback = el("div", { class: "inline" }, amount, unit);
  amount.dataset.field = "lookbackMinutes";

  let mode = modeOf(h);
  const modeGroup = group("channels", "Channels, in priority order",
    el("p", { class: "hint" }, "WhatsApp, then SMS sends by SMS to those WhatsApp cannot reach. In-app goes alone."),
    ...modes.map(([m, label]) => {
      const radio = el("input", { type: "radio", name: "mode", value: m, id: `mode-${m}` });
      radio.checked = m === mode;
      radio.addEventListener("change", () => { keep(); mode = m; renderChannels(); });
      return el("label", { class: "choice", for: `mode-${m}` }, radio, label);
    }));
  const channelsBox = el("div", { class: "channels" });
  const error = formError();
  const saveButton = el("button", { type: "submit" }, id ? "Save changes" : "Create handoff");
  const f = el("form", { class: "form card", novalidate: true },
    field("title", "Title", title, "Unique in the account; letters, digits and spaces."),
    id ? el("p", {}, "ID ", el("code", { id: "handoff-id" }, h.id), " — campaigns and invitations name it as their templateId.") : null,
    el("div", { class: "field" }, el("label", { for: amount.id || (amount.id = "lookback") }, "Lookback period"), lookback,
      el("span", { class: "hint", id: "lookback-hint" }, "Replies within it go to the campaign's skill: 1 hour to 30 days."),
      el("p", { class: "error field-error", id: "lookback-error" })),
    modeGroup, channelsBox, error,
    canWrite(session) ? el("div", { class: "actions" }, saveButton) : null);
  amount.setAttribute("aria-describedby", "lookback-hint lookback-error");
  main.append(f);

  // keep reads the shown channels' fields into values.
  function keep() {
    for (const n of channelsBox.querySelectorAll("[data-key]")) {
      const [c, k] = n.dataset.key.split(".");
      values[c] = values[c] || { channel: c };
      values[c][k] = n.value;
    }
  }

  function numberField(c, i, label, hint) {
    const nums = senders(chans, c);
    const list = el("datalist", { id: `numbers-${c}-${i}` }, ...nums.map((n) => el("option", { value: n })));
    const n = input({ value: value(c, "outboundNumber"), list: list.id, inputmode: "tel", placeholder: "+12025550100" });
    n.dataset.key = `${c}.outboundNumber`;
    const fld = field(`channels[${i}].outboundNumber`, label, n, hint);
    fld.append(list);
    return fld;
  }

  function smsSection(i, fallback) {
    if (fallback) {
      return el("section", { class: "channel", "aria-label": "SMS fallback" }, el("h2", {}, `${i + 1}. SMS fallback`),
        el("p", { class: "hint" }, "Sends the WhatsApp template's text by SMS, without the opt-out text."),
        numberField("sms", i, "Send from", "The WhatsApp number when empty."));
    }
    const text = textarea({ maxlength: 1600 });
    text.value = value("sms", "text");
    text.dataset.key = "sms.text";
    const optout = input({ value: value("sms", "optOutText"), placeholder: account.optOutText || "" });
    optout.dataset.key = "sms.optOutText";
    const count = el("span", { class: "counter", "aria-live": "polite" });
    const update = () => {
      const tail = optout.value || account.optOutText || "";
      const c = smsCount(text.value + (text.value && tail ? `\n${tail}` : ""));
      count.textContent = `${c.units} characters with the opt-out text · ${c.encoding} · ${c.segments} segment${c.segments === 1 ? "" : "s"}`;
      count.classList.toggle("over", c.units > 140);
    };
    text.addEventListener("input", update);
    optout.addEventListener("input", update);
    update();
    return el("section", { class: "channel", "aria-label": "SMS" }, el("h2", {}, `${i + 1}. SMS`),
      numberField("sms", i, "Send from"),
      field(`channels[${i}].text`, "Message", text, "{{1}}, {{2}}… take each recipient's values."), count,
      field(`channels[${i}].optOutText`, "Opt-out text", optout, "Added to the message; the account's when empty."));
  }

  function whatsappSection(i) {
    const current = value("whatsapp", "templateId");
    const options = [["", approved.length ? "Pick an approved template" : "No approved template yet"],
      ...approved.map((t) => [t.id, `${t.name} (${t.language})`])];
    if (current && !approved.some((t) => t.id === current)) options.push([current, `${current} (not approved)`]);
    const tpl = select(options, current);
    tpl.dataset.key = "whatsapp.templateId";
    const preview = el("div", { class: "preview-slot" });
    const show = () => {
      clear(preview);
      const t = approved.find((x) => x.id === tpl.value);
      if (t) preview.append(templatePreview(t));
    };
    tpl.addEventListener("change", show);
    show();
    return el("section", { class: "channel", "aria-label": "WhatsApp" }, el("h2", {}, `${i + 1}. WhatsApp`),
      numberField("whatsapp", i, "Send from"),
      field(`channels[${i}].templateId`, "WhatsApp template", tpl, el("a", { href: "#templates" }, "Manage templates")), preview);
  }

  function inappSection(i) {
    const apps = (values.inapp && values.inapp.apps) || [];
    const appInputs = [0, 1, 2].map((k) => {
      const a = input({ value: apps[k] || "", "aria-label": `App ${k + 1}` });
      a.classList.add("app");
      return a;
    });
    appInputs[0].dataset.field = `channels[${i}].apps`;
    const text = textarea({ maxlength: 1600 });
    text.value = value("inapp", "text");
    text.dataset.key = "inapp.text";
    const appsField = el("div", { class: "field" }, el("label", { for: (appInputs[0].id = "app-1") }, "Apps (up to 3)"),
      el("div", { class: "inline" }, ...appInputs), el("p", { class: "error field-error" }));
    return el("section", { class: "channel", "aria-label": "In-app" }, el("h2", {}, `${i + 1}. In-app`),
      appsField, field(`channels[${i}].text`, "Message", text));
  }

  function renderChannels() {
    clear(channelsBox);
    const names = modes.find(([m]) => m === mode)[2];
    names.forEach((c, i) => {
      if (c === "sms") channelsBox.append(smsSection(i, mode === "prioritized"));
      if (c === "whatsapp") channelsBox.append(whatsappSection(i));
      if (c === "inapp") channelsBox.append(inappSection(i));
    });
    if (!canWrite(session)) readOnly(f);
  }
  renderChannels();

  function body() {
    keep();
    const names = modes.find(([m]) => m === mode)[2];
    const channels = names.map((c) => {
      const v = values[c] || {};
      const out = { channel: c };
      if (v.outboundNumber) out.outboundNumber = v.outboundNumber.trim();
      if (c === "sms" && mode !== "prioritized") {
        out.text = v.text || "";
        if (v.optOutText) out.optOutText = v.optOutText;
      }
      if (c === "whatsapp") out.templateId = v.templateId || "";
      if (c === "inapp") {
        out.text = v.text || "";
        out.apps = [...channelsBox.querySelectorAll("input.app")].map((a) => a.value.trim()).filter(Boolean);
      }
      return out;
    });
    const n = Number(amount.value);
    return { title: title.value.trim(), lookbackMinutes: Number.isFinite(n) ? Math.round(n * Number(unit.value)) : 0, channels, version: id ? h.version : undefined };
  }

  onSave(f, saveButton, async () => {
    const saved = id
      ? await call("PUT", acct(`/handoffs/${encodeURIComponent(id)}`), body())
      : await call("POST", acct("/handoffs"), body());
    return { hash: `#handoffs/${encodeURIComponent(saved.id)}`, message: `Saved “${saved.title}”, version ${saved.version}.` };
  }, () => form(main, session, id));
  showFlash(f);
  if (!canWrite(session)) readOnly(f);
  if (!id) return;

  if (canWrite(session)) {
    main.append(el("div", { class: "actions danger-zone" }, deleteButton(`the handoff “${h.title}”`, async () => {
      await call("DELETE", acct(`/handoffs/${encodeURIComponent(id)}`));
      location.hash = "#handoffs";
    })));
  }
  const rows = [...versions].reverse().map((v) => el("tr", {},
    el("td", { class: "num" }, v.version), el("td", {}, when(v.updatedAt)), el("td", {}, v.title),
    el("td", {}, channelsText(v)), el("td", {}, lookbackText(v.lookbackMinutes)),
    el("td", {}, v.channels.map((c) => c.text || templateName(c.templateId)).filter(Boolean).join(" · ") || "—")));
  main.append(el("section", { class: "card", "aria-labelledby": "versions-title" },
    el("h2", { id: "versions-title" }, "Versions"),
    table("Versions of the handoff", [el("th", { scope: "col", class: "num" }, "Version"), "Saved", "Title", "Channels", "Lookback", "Message"], rows)));
}

// templatePreview draws a WhatsApp template as the recipient sees it: the
// header, the body with its examples, the footer and the buttons.
export function templatePreview(t) {
  const fill = (text, examples) => String(text || "").replace(/\{\{(\d+)\}\}/g, (m, n) => (examples && examples[n - 1]) || m);
  const header = t.header === "text"
    ? el("p", { class: "wa-header" }, fill(t.headerText, [t.headerExample]))
    : t.header ? el("p", { class: "wa-media" }, { image: "Image", video: "Video", document: "Document", location: "Location" }[t.header] || t.header)
      : null;
  let body = fill(t.body, t.bodyExamples);
  if (t.category === "AUTHENTICATION") {
    body = "123456 is your verification code.";
    if (t.securityRecommendation) body += " For your security, do not share this code.";
  }
  const footer = t.category === "AUTHENTICATION" && t.codeExpirationMinutes
    ? `This code expires in ${t.codeExpirationMinutes} minutes.` : t.footer;
  const icons = { url: "↗", phone_number: "✆", quick_reply: "↩", copy_code: "⧉" };
  return el("figure", { class: "wa-preview" },
    el("figcaption", { class: "sr-only" }, "Preview of the WhatsApp message"),
    el("div", { class: "bubble" }, header, el("p", { class: "wa-body" }, body),
      footer ? el("p", { class: "wa-footer" }, footer) : null),
    (t.buttons || []).length ? el("div", { class: "wa-buttons" },
      ...t.buttons.map((b) => el("span", { class: "wa-button" }, `${icons[b.kind] || ""} ${b.text || "(button text)"}`))) : null);
}
