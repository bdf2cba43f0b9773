// The campaign page (#campaign/<id>, seed 001): status and counters kept
// live while the campaign sends, pause / resume / cancel, the recipients a
// page at a time (filtered by status), the Analytics tab and the
// recipients download.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import { panel } from "/assets/analytics.js";

const POLL_MS = 3000;
const PAGE = 50;
const live = new Set(["RUNNING", "SCHEDULED"]);
const over = new Set(["FINISHED", "CANCELLED", "EXPIRED"]);
const statuses = ["SCHEDULED", "QUEUED", "SENDING", "SENT", "DELIVERED", "READ", "UNDELIVERED", "FAILED", "SKIPPED", "EXPIRED", "CANCELLED", "UNKNOWN"];

const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—");
const consumer = (c) => (c && (c.sms || c.wa || c.inapp)) || "—";

function recipients(account, id) {
  const filter = el("select", { id: "r-status" }, el("option", { value: "" }, "All statuses"),
    ...statuses.map((s) => el("option", { value: s }, s)));
  const prev = el("button", { type: "button", class: "ghost", id: "r-prev", disabled: true }, "Previous page");
  const next = el("button", { type: "button", class: "ghost", id: "r-next", disabled: true }, "Next page");
  const where = el("span", { id: "r-page", class: "hint", "aria-live": "polite" });
  const body = el("tbody");
  const note = el("p", { class: "hint", id: "r-note" });
  const section = el("div", {},
    el("div", { class: "actions" }, el("label", { for: "r-status", class: "inline" }, "Status", filter), prev, next, where),
    el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Recipients table" }, el("table", { class: "recipients" },
      el("caption", {}, `Recipients, ${PAGE} a page`),
      el("thead", {}, el("tr", {}, ...["Recipient", "Number", "Status", "Detail", "Updated"].map((h) => el("th", { scope: "col" }, h)))),
      body)),
    note);
  // cursors[i] is the cursor of page i (page 0 has none).
  let cursors = [""], page = 0, seq = 0;
  async function load() {
    const mine = ++seq; // a later load wins over an earlier one still under way
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (cursors[page]) q.set("cursor", cursors[page]);
    if (filter.value) q.set("status", filter.value);
    prev.disabled = next.disabled = true;
    let data;
    try {
      data = await call("GET", accountPath(account, `/campaign/${encodeURIComponent(id)}/conversations?${q}`));
    } catch (err) {
      if (mine !== seq) return;
      note.className = "error";
      note.textContent = `The recipients could not be loaded: ${err.message}`;
      return;
    }
    if (mine !== seq) return;
    const rows = data.conversations || [];
    clear(body);
    body.append(...rows.map((r) => el("tr", {},
      el("td", {}, r.id), el("td", {}, consumer(r.consumerContent)),
      el("td", {}, el("span", { class: "status" }, r.parleyStatus || r.status)),
      el("td", {}, r.errorMessage || (r.scheduledFor ? `due ${when(r.scheduledFor)}` : "")),
      el("td", {}, when(r.updatedAt)))));
    cursors = cursors.slice(0, page + 1);
    if (data.nextCursor) cursors.push(data.nextCursor);
    prev.disabled = page === 0;
    next.disabled = !data.nextCursor;
    where.textContent = `Page ${page + 1}`;
    note.className = "hint";
    note.textContent = rows.length ? "" : (data.nextCursor ? "None on this page; more may follow." : "No recipients.");
  }
  filter.addEventListener("change", () => { cursors = [""]; page = 0; load(); });
  prev.addEventListener("click", () => { page--; load(); });
  next.addEventListener("click", () => { page++; load(); });
  return { section, load };
}

function tabs(items) {
  const list = el("div", { role: "tablist", class: "tabs", "aria-label": "Campaign" });
  const panels = [];
  const select = (i, focus) => items.forEach((it, j) => {
    it.tab.setAttribute("aria-selected", String(i === j));
    it.tab.tabIndex = i === j ? 0 : -1;
    panels[j].hidden = i !== j;
    if (i === j) { if (focus) it.tab.focus(); if (it.open) it.open(); }
  });
  items.forEach((it, i) => {
    it.tab = el("button", { role: "tab", type: "button", id: `tab-${it.id}`, "aria-controls": `panel-${it.id}` }, it.label);
    it.tab.addEventListener("click", () => select(i));
    it.tab.addEventListener("keydown", (ev) => {
      const d = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
      if (d) select((i + d + items.length) % items.length, true);
    });
    list.append(it.tab);
    panels.push(el("div", { role: "tabpanel", id: `panel-${it.id}`, "aria-labelledby": `tab-${it.id}`, tabindex: "0" }, it.content));
  });
  select(0);
  return el("div", {}, list, ...panels);
}

export async function campaign(main, session, rest = []) {
  clear(main);
  const id = rest[0] || "";
  const account = session.account;
  const hash = location.hash;
  const canWrite = (session.permissions || []).includes("write");
  const base = accountPath(account, `/campaign/${encodeURIComponent(id)}`);
  const title = el("h1", {}, "Campaign");
  const badge = el("span", { class: "status", id: "c-status", "aria-live": "polite" });
  const pause = el("button", { type: "button", id: "pause", hidden: true }, "Pause");
  const resume = el("button", { type: "button", id: "resume", hidden: true }, "Resume");
  const cancel = el("button", { type: "button", class: "ghost danger", id: "cancel", hidden: true }, "Cancel campaign");
  const download = el("a", { class: "button ghost", id: "download", href: `${base}/recipients.csv`, download: `campaign-${id}-recipients.csv` },
    "Download recipients (CSV)");
  const error = el("p", { class: "error", role: "alert", id: "c-error" });
  main.append(el("div", { class: "head" }, title, badge,
    el("a", { class: "button ghost", href: "#" }, "Back to campaigns")),
  el("div", { class: "actions" }, canWrite ? pause : null, canWrite ? resume : null, canWrite ? cancel : null, download),
  error);
  if (!canWrite) main.append(el("p", { class: "hint", id: "read-only" }, `Your role (${session.role}) can read this campaign but not pause, resume or cancel it.`));
  // Busy until the campaign's first answer: the page is not ready before.
  const counters = el("dl", { class: "counters", id: "counters", "aria-busy": "true" });
  const summary = el("dl", { class: "summary" });
  const overview = el("div", { class: "overview" },
    el("section", { class: "card", "aria-labelledby": "counts-title" }, el("h2", { id: "counts-title" }, "Recipients by status"), counters),
    el("section", { class: "card", "aria-labelledby": "about-title" }, el("h2", { id: "about-title" }, "Campaign"), summary));
  main.append(overview);
  const list = recipients(account, id);
  let analyticsOpened = false;
  const analyticsBox = el("div", { class: "analytics" });
  main.append(tabs([
    { id: "recipients", label: "Recipients", content: list.section },
    { id: "analytics", label: "Analytics", content: analyticsBox,
      open: () => { if (!analyticsOpened) { analyticsOpened = true; panel(analyticsBox, session, `/campaign/${encodeURIComponent(id)}/analytics`); } } },
  ]));

  let timer = 0;
  const here = () => location.hash === hash && main.contains(overview);
  const stop = () => { clearTimeout(timer); timer = 0; };
  window.addEventListener("hashchange", stop, { once: true });

  function show(c) {
    counters.removeAttribute("aria-busy");
    title.textContent = c.name || id;
    badge.textContent = c.status;
    const counts = Object.entries(c.counts || {}).filter(([, n]) => n > 0).sort(([a], [b]) => statuses.indexOf(a) - statuses.indexOf(b));
    clear(counters);
    counters.append(el("div", {}, el("dt", {}, "Total"), el("dd", { "data-status": "TOTAL" }, Number(c.recipients || 0).toLocaleString())),
      ...counts.map(([s, n]) => el("div", {}, el("dt", {}, s), el("dd", { "data-status": s }, n.toLocaleString()))));
    const sched = c.schedule || {}, win = sched.deliveryWindow || {};
    clear(summary);
    for (const [k, v] of [["Channel", c.channel], ["Skill", c.skill], ["Sending number", c.outboundNumber],
      ["Message", c.message], ["Delivery window", win.start ? `${win.start}–${win.end} ${(win.days || []).join(" ")}` : "—"],
      ["Launch", when(c.launchAt)], ["Created", `${when(c.createdAt)}${c.createdBy ? ` by ${c.createdBy}` : ""}`],
      ["Completed", when(c.completedAt)]]) {
      summary.append(el("dt", {}, k), el("dd", {}, v || "—"));
    }
    pause.hidden = !live.has(c.status);
    resume.hidden = c.status !== "PAUSED";
    cancel.hidden = over.has(c.status);
  }

  async function refresh() {
    let c;
    try {
      c = await call("GET", base);
    } catch (err) {
      counters.removeAttribute("aria-busy");
      error.textContent = `The campaign could not be loaded: ${err.message}`;
      return null;
    }
    if (!here()) return null;
    show(c);
    return c;
  }
  // poll refreshes the campaign every few seconds while it is sending,
  // and stops once it is not or the page is left.
  async function poll() {
    timer = 0;
    if (!here()) return;
    const was = badge.textContent;
    const c = await refresh();
    // The recipients' page follows too while sending, and once more as it ends.
    if (c && was && (live.has(c.status) || was !== c.status)) list.load();
    if (c && live.has(c.status) && here()) timer = setTimeout(poll, POLL_MS);
  }

  const dialog = el("dialog", { id: "confirm-cancel", "aria-labelledby": "cancel-title" },
    el("h2", { id: "cancel-title" }, "Cancel this campaign?"),
    el("p", {}, "Recipients not sent yet are never sent. This cannot be undone."),
    el("div", { class: "actions" },
      el("button", { type: "button", id: "yes-cancel", class: "danger" }, "Yes, cancel it"),
      el("button", { type: "button", class: "ghost", id: "keep" }, "Keep sending")));
  main.append(dialog);
  async function control(action) {
    error.textContent = "";
    for (const b of [pause, resume, cancel]) b.disabled = true;
    try {
      await call("POST", `${base}/${action}`);
    } catch (err) {
      error.textContent = `The campaign could not be ${action === "pause" ? "paused" : action === "resume" ? "resumed" : "cancelled"}: ${err.message}`;
    } finally {
      for (const b of [pause, resume, cancel]) b.disabled = false;
    }
    stop();
    await poll();
  }
  pause.addEventListener("click", () => control("pause"));
  resume.addEventListener("click", () => control("resume"));
  cancel.addEventListener("click", () => dialog.showModal());
  dialog.querySelector("#keep").addEventListener("click", () => dialog.close());
  dialog.querySelector("#yes-cancel").addEventListener("click", () => { dialog.close(); control("cancel"); });

  await Promise.all([poll(), list.load()]);
}
