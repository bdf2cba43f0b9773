// The webtool's entry point: the session, the theme, and the pages.
import { call, setCSRF } from "/assets/api.js";
import { landing } from "/assets/landing.js";
import { wizard } from "/assets/wizard.js";
import { campaign } from "/assets/campaign.js";
import { analytics } from "/assets/analytics.js";
import { el, clear } from "/assets/dom.js";

const main = document.getElementById("main");

// The theme follows the system preference until the user picks one.
function setupTheme() {
  const button = document.getElementById("theme");
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const current = () => document.documentElement.dataset.theme || (media.matches ? "dark" : "light");
  const label = () => {
    const dark = current() === "dark";
    button.textContent = dark ? "Light theme" : "Dark theme";
    button.setAttribute("aria-pressed", String(dark));
  };
  const saved = localStorage.getItem("parley-theme");
  if (saved === "dark" || saved === "light") document.documentElement.dataset.theme = saved;
  button.addEventListener("click", () => {
    const next = current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("parley-theme", next);
    label();
  });
  media.addEventListener("change", label);
  label();
}

function signIn(session) {
  clear(main);
  main.append(el("h1", {}, "Sign in to Parley"));
  if (session.oidc) {
    main.append(el("p", {}, el("a", { class: "button", href: "/auth/login" }, "Sign in with your organization")));
  }
  if (session.local) {
    const roles = session.roles || [];
    const account = el("input", { id: "local-account", name: "account", required: "", autocomplete: "off" });
    const role = el("select", { id: "local-role", name: "role" }, ...roles.map((r) => el("option", { value: r }, r)));
    const error = el("p", { class: "error", role: "alert" });
    const form = el("form", { class: "signin card" },
      el("h2", {}, "Local sign-in"),
      el("p", { class: "empty" }, "This server runs on the embedded backend: pick an account and a role."),
      el("label", { for: "local-account" }, "Account", account),
      el("label", { for: "local-role" }, "Role", role),
      error,
      el("button", { type: "submit" }, "Sign in"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      try {
        await call("POST", "/auth/local", { account: account.value.trim(), role: role.value });
        await start();
      } catch (err) {
        error.textContent = err.message;
      }
    });
    main.append(form);
  }
  if (!session.oidc && !session.local) {
    main.append(el("p", { class: "error" }, "No sign-in is configured on this server (see PARLEY_OIDC_ISSUER in the README)."));
  }
}

async function start() {
  const who = document.getElementById("who");
  const signout = document.getElementById("signout");
  let session;
  try {
    session = await call("GET", "/auth/session");
  } catch (err) {
    clear(main);
    main.append(el("p", { class: "error", role: "alert" }, `Sign-in is unavailable: ${err.message}`));
    return;
  }
  setCSRF(session.csrfToken);
  if (!session.signedIn) {
    who.textContent = "";
    signout.hidden = true;
    signIn(session);
    return;
  }
  who.textContent = `${session.account} · ${session.role}`;
  signout.hidden = false;
  current = session;
  await route();
}

// The pages, by the location hash's first part ("#new-campaign",
// "#campaign/<id>" opens campaign with ["<id>"]); the landing page for any
// other.
const routes = { "new-campaign": wizard, campaign, analytics };
let current = null;

async function route() {
  if (!current) return;
  const [name, ...rest] = location.hash.slice(1).split("/").map(decodeURIComponent);
  const page = Object.hasOwn(routes, name) ? routes[name] : landing;
  await page(main, current, rest);
}
window.addEventListener("hashchange", () => { route(); main.focus(); });

document.getElementById("signout").addEventListener("click", async () => {
  try { await call("POST", "/auth/logout"); } finally { await start(); }
});
setupTheme();
start();
