// The landing page (seed 001): the success, response and opt-out rates of
// the last 30 days, recent campaigns, "New campaign", and the download of
// every campaign.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import { rates } from "/assets/analytics.js";

const channelNames = { sms: "SMS", whatsapp: "WhatsApp", inapp: "In-app" };

function channelName(c) {
  return String(c || "").split(/[,>]/).map((p) => channelNames[p.trim().toLowerCase()] || p.trim()).join(" → ");
}

function date(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// exportMenu is the ellipsis with "Download all campaigns (CSV)".
function exportMenu(account) {
  const button = el("button", { class: "ghost", type: "button", "aria-haspopup": "menu", "aria-expanded": "false",
    "aria-controls": "export-menu", "aria-label": "More actions" }, "…");
  const link = el("a", { role: "menuitem", href: accountPath(account, "/campaign/export.csv"), download: "campaigns.csv" },
    "Download all campaigns (CSV)");
  const menu = el("div", { role: "menu", id: "export-menu", hidden: true }, link);
  const close = () => { menu.hidden = true; button.setAttribute("aria-expanded", "false"); };
  button.addEventListener("click", () => {
    const open = menu.hidden;
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) link.focus();
  });
  menu.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { close(); button.focus(); } });
  link.addEventListener("click", close);
  document.addEventListener("click", (ev) => { if (!button.contains(ev.target) && !menu.contains(ev.target)) close(); });
  return el("div", { class: "menu" }, button, menu);
}

// metrics is the landing page's rates over the last 30 days, filled in
// when the account's analytics answer; a failure is said in their place
// and leaves the rest of the page as it is.
function metrics(account) {
  const status = el("p", { class: "loading", role: "status" }, "Loading the rates…");
  const section = el("section", { id: "landing-rates", "aria-labelledby": "rates-title", "aria-busy": "true" },
    el("div", { class: "head" }, el("h2", { id: "rates-title" }, "Last 30 days"),
      el("a", { href: "#analytics" }, "All analytics")), status);
  call("GET", accountPath(account, "/analytics?range=last30")).then((rep) => {
    status.replaceWith(rates(rep));
  }, (err) => {
    status.className = "error";
    status.setAttribute("role", "alert");
    status.textContent = `The rates could not be loaded: ${err.message}`;
  }).finally(() => section.removeAttribute("aria-busy"));
  return section;
}

export async function landing(main, session) {
  clear(main);
  const canWrite = session.permissions && session.permissions.includes("write");
  main.append(el("div", { class: "head" },
    el("h1", {}, "Campaigns"),
    canWrite ? el("a", { class: "button", href: "#new-campaign", id: "new-campaign" }, "New campaign") : null,
    exportMenu(session.account)));
  main.append(metrics(session.account));
  const section = el("section", { class: "card", "aria-labelledby": "recent-title" },
    el("h2", { id: "recent-title" }, "Recent campaigns"));
  main.append(section);
  const status = el("p", { class: "loading", role: "status" }, "Loading campaigns…");
  section.append(status);
  let list;
  try {
    list = await call("GET", accountPath(session.account, "/campaign?limit=20"));
  } catch (err) {
    status.className = "error";
    status.setAttribute("role", "alert");
    status.textContent = `The campaigns could not be loaded: ${err.message}`;
    return;
  }
  status.remove();
  if (!list.campaigns || list.campaigns.length === 0) {
    section.append(el("p", { class: "empty" }, "No campaigns yet."));
    return;
  }
  const rows = list.campaigns.map((c) => el("tr", {},
    el("td", { class: "title" }, el("a", { href: `#campaign/${encodeURIComponent(c.id)}` }, c.name)),
    el("td", { "data-label": "Channel" }, channelName(c.channel)),
    el("td", { class: "num", "data-label": "Recipients" }, Number(c.recipients).toLocaleString()),
    el("td", { "data-label": "Launch" }, date(c.launchAt || c.createdAt)),
    el("td", {}, el("span", { class: "status" }, c.status))));
  section.append(el("table", { class: "campaigns" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Title"), el("th", { scope: "col" }, "Channel"),
      el("th", { scope: "col", class: "num" }, "Recipients"), el("th", { scope: "col" }, "Launch date"),
      el("th", { scope: "col" }, "Status"))),
    el("tbody", {}, ...rows)));
}
