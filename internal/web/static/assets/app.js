// The webtool's entry point: the session, the theme, and the pages.
import { call, setCSRF } from "/assets/api.js";
import { landing } from "/assets/landing.js";
import { el, clear } from "/assets/dom.js";
import { nav, route } from "/assets/pages.js";

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
    signedIn = null;
    document.querySelector("nav.nav")?.remove();
    who.textContent = "";
    signout.hidden = true;
    signIn(session);
    return;
  }
  who.textContent = `${session.account} · ${session.role}`;
  signout.hidden = false;
  signedIn = session;
  await show();
}

// signedIn is the signed-in session; show renders the page the hash names.
let signedIn = null;
async function show() {
  const session = signedIn;
  const old = document.querySelector("nav.nav");
  if (old) old.remove();
  if (!session) return;
  if (!(session.permissions || []).includes("read")) {
    clear(main);
    main.append(el("h1", {}, "No access"),
      el("p", { role: "alert" }, `The ${session.role} role has no access to the webtool: ask an admin for the campaign manager or support role.`));
    return;
  }
  const { name, rest, page } = route(location.hash);
  main.before(nav(session, page ? name : ""));
  if (page) await page(main, session, rest);
  else await landing(main, session);
}
window.addEventListener("hashchange", () => { show(); main.focus(); });

document.getElementById("signout").addEventListener("click", async () => {
  try { await call("POST", "/auth/logout"); } finally { await start(); }
});
setupTheme();
start();
