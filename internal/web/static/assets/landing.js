// The landing page (seed 001): recent campaigns, "New campaign", and the
// download of every campaign.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";

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

export async function landing(main, session) {
  clear(main);
  const canWrite = session.permissions && session.permissions.includes("write");
  main.append(el("div", { class: "head" },
    el("h1", {}, "Campaigns"),
    canWrite ? el("a", { class: "button", href: "#new-campaign", id: "new-campaign" }, "New campaign") : null,
    exportMenu(session.account)));
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
