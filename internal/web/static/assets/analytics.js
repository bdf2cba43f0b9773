// Analytics (seed 001): the account's page (#analytics) and the panel the
// campaign page's Analytics tab reuses. Filters: from and to dates, quick
// ranges, skills and channels; the rates, the delivery and response status
// and the messages per day (per hour for one day), from GET …/analytics or
// GET …/campaign/{id}/analytics.
import { call, accountPath, APIError } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import { bars, timeline } from "/assets/chart.js";

const ranges = [["", "Custom dates"], ["today", "Today"], ["thisWeek", "This week"], ["thisMonth", "This month"],
  ["last30", "Last 30 days"], ["last60", "Last 60 days"], ["last90", "Last 90 days"], ["yearToDate", "Year to date"]];
const channels = [["sms", "SMS"], ["whatsapp", "WhatsApp"], ["inapp", "In-app"]];
const fieldIds = { from: "a-from", to: "a-to", range: "a-range", skill: "a-skill", channel: "a-channel" };

const rate = (r) => (r === null || r === undefined ? "—" : `${Number(r).toLocaleString(undefined, { maximumFractionDigits: 2 })}%`);

function bucketLabel(granularity, timeZone) {
  const opts = granularity === "hour" ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } : { month: "short", day: "numeric" };
  const f = new Intl.DateTimeFormat(undefined, { ...opts, timeZone: timeZone || "UTC" });
  return (b) => f.format(new Date(b.start));
}

// rates draws an analytics answer's success, response and opt-out rates
// (seed 001's definitions), as the analytics and landing pages show them.
export function rates(rep) {
  return el("div", { class: "rates" },
    el("div", { class: "rate card", id: "rate-success" }, el("span", { class: "rate-name" }, "Success rate"),
      el("strong", {}, rate(rep.successRate)), el("span", { class: "hint" }, "delivered to the gateway / sent")),
    el("div", { class: "rate card", id: "rate-response" }, el("span", { class: "rate-name" }, "Response rate"),
      el("strong", {}, rate(rep.responseRate)), el("span", { class: "hint" }, "responded / delivered")),
    el("div", { class: "rate card", id: "rate-optout" }, el("span", { class: "rate-name" }, "Opt-out rate"),
      el("strong", {}, rate(rep.optOutRate)), el("span", { class: "hint" }, "opted out / delivered")));
}

// report draws an analytics answer.
export function report(rep) {
  const d = rep.deliveryStatus || {}, r = rep.responseStatus || {};
  const hourly = rep.granularity === "hour";
  return el("div", { class: "report" },
    rates(rep),
    el("div", { class: "charts" },
      el("section", { class: "card", id: "chart-delivery" }, bars("Delivery status", [
        { label: "Sent", value: d.sent, series: 1 },
        { label: "Delivered", value: d.delivered, series: 2 },
        { label: "Failed", value: d.failed, series: 3 }])),
      el("section", { class: "card", id: "chart-response" }, bars("Response status", [
        { label: "Delivered", value: r.delivered, series: 2 },
        { label: "Responded", value: r.responded, series: 4 },
        { label: "Not responded", value: r.notResponded, series: 1 }]))),
    el("section", { class: "card", id: "chart-messages" }, timeline(hourly ? "Messages per hour" : "Messages per day",
      rep.messages || [], [
        { key: "sent", label: "Sent", series: 1 }, { key: "delivered", label: "Delivered", series: 2 },
        { key: "failed", label: "Failed", series: 3 }, { key: "responded", label: "Responded", series: 4 }],
      bucketLabel(rep.granularity, rep.timeZone))));
}

// panel renders the filters and the report of the analytics at path
// ("/analytics" or "/campaign/<id>/analytics") into container.
export async function panel(container, session, path, { skills = [] } = {}) {
  clear(container);
  const from = el("input", { type: "date", id: "a-from", name: "from" });
  const to = el("input", { type: "date", id: "a-to", name: "to" });
  const range = el("select", { id: "a-range", name: "range" }, ...ranges.map(([v, l]) => el("option", { value: v }, l)));
  const skill = el("input", { type: "search", id: "a-skill", name: "skill", list: "a-skill-list", autocomplete: "off",
    placeholder: "All skills" });
  const boxes = channels.map(([v, l]) => el("label", { class: "inline" }, el("input", { type: "checkbox", name: "channel", value: v }), l));
  const err = (id) => el("p", { class: "error field-error", id: `${id}-error`, role: "alert" });
  for (const [input, id] of [[from, "a-from"], [to, "a-to"], [range, "a-range"], [skill, "a-skill"]]) input.setAttribute("aria-describedby", `${id}-error`);
  const form = el("form", { class: "filters card", "aria-label": "Filters" },
    el("div", { class: "field" }, el("label", { for: "a-range" }, "Quick range"), range, err("a-range")),
    el("div", { class: "field" }, el("label", { for: "a-from" }, "From"), from, err("a-from")),
    el("div", { class: "field" }, el("label", { for: "a-to" }, "To"), to, err("a-to")),
    el("div", { class: "field" }, el("label", { for: "a-skill" }, "Skills (comma-separated)"), skill,
      el("datalist", { id: "a-skill-list" }, ...skills.map((k) => el("option", { value: k }))), err("a-skill")),
    el("fieldset", { id: "a-channel", "aria-describedby": "a-channel-error" }, el("legend", {}, "Channels"), ...boxes, err("a-channel")),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "a-apply" }, "Apply")));
  const status = el("p", { class: "loading", role: "status", id: "a-status" });
  const out = el("div", { id: "a-report" });
  container.append(form, status, out);

  async function load() {
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    const q = new URLSearchParams();
    if (range.value) q.set("range", range.value);
    else {
      if (from.value) q.set("from", from.value);
      if (to.value) q.set("to", to.value);
    }
    const sk = skill.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (sk.length) q.set("skill", sk.join(","));
    const ch = boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value);
    if (ch.length) q.set("channel", ch.join(","));
    status.className = "loading";
    status.textContent = "Loading the analytics…";
    let rep;
    try {
      rep = await call("GET", accountPath(session.account, `${path}${q.size ? `?${q}` : ""}`));
    } catch (e) {
      const field = e instanceof APIError ? fieldIds[e.problem.field] : undefined;
      status.className = "error";
      status.textContent = `The analytics could not be loaded: ${e.message}`;
      if (field) {
        document.getElementById(`${field}-error`).textContent = e.message;
        document.getElementById(field).setAttribute("aria-invalid", "true");
      }
      return;
    }
    from.value = rep.from || "";
    to.value = rep.to || "";
    const tz = rep.timeZone || "UTC";
    status.className = "hint";
    status.textContent = `${rep.from} to ${rep.to} (${tz}), ${(rep.counts && rep.counts.sent) || 0} messages sent.`;
    clear(out);
    out.append(report(rep));
  }
  range.addEventListener("change", load);
  for (const input of [from, to]) input.addEventListener("change", () => { range.value = ""; });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  await load();
}

// analytics is the account's Analytics page.
export async function analytics(main, session) {
  clear(main);
  main.append(el("div", { class: "head" }, el("h1", {}, "Analytics"),
    el("a", { class: "button ghost", href: "#" }, "Back to campaigns")));
  const settings = await call("GET", accountPath(session.account, "/settings")).catch(() => ({}));
  const skills = [...new Set([settings.defaultSkill, ...(settings.outboundSkills || [])].filter(Boolean))];
  const body = el("div", { class: "analytics" });
  main.append(body);
  await panel(body, session, "/analytics", { skills });
}
