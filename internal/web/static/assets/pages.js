// The webtool's pages by the first part of the location's hash
// (#handoffs/H123 opens "handoffs" with ["H123"]), and the navigation
// between them. The landing page answers every other hash.
import { el } from "/assets/dom.js";
import { wizard } from "/assets/wizard.js";
import { handoffs } from "/assets/handoffs.js";
import { templates } from "/assets/templates.js";
import { settings } from "/assets/settings.js";
import { optouts } from "/assets/optouts.js";
import { clients } from "/assets/clients.js";
import { eventSubscriptions } from "/assets/eventsubs.js";
import { campaign } from "/assets/campaign.js";
import { analytics } from "/assets/analytics.js";

// routes maps a hash to its page: page(main, session, rest).
export const routes = {
  "new-campaign": wizard,
  campaign,
  analytics,
  handoffs,
  templates,
  settings,
  optouts,
  clients,
  events: eventSubscriptions,
};

// links are the navigation's entries; keys of a link need a permission.
const links = [
  ["", "Campaigns"],
  ["analytics", "Analytics"],
  ["handoffs", "API handoffs"],
  ["templates", "WhatsApp templates"],
  ["settings", "Settings"],
  ["optouts", "Opt-outs"],
  ["events", "Event subscriptions"],
  ["clients", "API clients", "manage_keys"],
];

// nav returns the navigation for session, the current page marked.
export function nav(session, current) {
  const perms = session.permissions || [];
  return el("nav", { class: "nav", "aria-label": "Pages" },
    el("ul", {}, ...links.filter(([, , p]) => !p || perms.includes(p)).map(([hash, label]) =>
      el("li", {}, el("a", { href: `#${hash}`, "aria-current": hash === current ? "page" : false }, label)))));
}

// route splits the location's hash into the page's name and the rest.
export function route(hash) {
  const [name, ...rest] = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { name, rest, page: Object.hasOwn(routes, name) ? routes[name] : null };
}
