// API clients: the credentials brands' systems call the API with. An
// admin creates one for a role and sees its secret once; rotating gives a
// new secret; deleting revokes it.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  field, formError, clearErrors, showError, input, select, table, when, loadingLine, page, deleteButton, secretNotice,
} from "/assets/form.js";

const roles = [["campaign_manager", "Campaign manager"], ["admin", "Admin"], ["support", "Support (read-only)"]];

export async function clients(main, session) {
  page(main, session, "API clients");
  if (!(session.permissions || []).includes("manage_keys")) {
    main.append(el("p", { class: "notice", role: "note" }, "Only admins manage API clients."));
    return;
  }
  const acct = (p) => accountPath(session.account, p);
  const secretBox = el("div", { class: "secret-slot", "aria-live": "polite" });
  const name = input({ maxlength: 100 });
  const role = select(roles, "campaign_manager");
  const error = formError();
  const create = el("button", { type: "submit" }, "Create client");
  const f = el("form", { class: "form card inline-form", novalidate: true, "aria-label": "Create an API client" },
    field("name", "Name", name, "Tells this client apart from the others."), field("role", "Role", role),
    el("div", { class: "actions" }, create), error);
  const results = el("section", { class: "card", "aria-label": "API clients" });
  main.append(f, secretBox, results);

  // showSecret shows credentials the one time the API returns them.
  function showSecret(c) {
    clear(secretBox);
    secretBox.append(secretNotice("Copy the secret now: it is not shown again.",
      [["Client ID", c.clientId, "client-id"], ["Client secret", c.clientSecret, "client-secret"]], "Client secret"));
  }

  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    create.disabled = true;
    try {
      const c = await call("POST", acct("/clients"), { name: name.value.trim(), role: role.value });
      name.value = "";
      showSecret(c);
      await load();
    } catch (err) {
      showError(f, err);
    } finally {
      create.disabled = false;
    }
  });

  async function load() {
    clear(results);
    const status = loadingLine(results, "Loading API clients…");
    let cs;
    try {
      cs = await call("GET", acct("/clients"));
    } catch (err) {
      status.fail("The API clients could not be loaded", err);
      return;
    }
    status.done();
    if (!cs.length) {
      results.append(el("p", { class: "empty" }, "No API clients yet."));
      return;
    }
    const rows = cs.map((c) => {
      const rotate = el("button", { type: "button", class: "ghost" }, "Rotate secret");
      rotate.setAttribute("aria-label", `Rotate the secret of ${c.name || c.clientId}`);
      const rotateError = el("span", { class: "error", role: "alert" });
      rotate.addEventListener("click", async () => {
        rotateError.textContent = "";
        try { showSecret(await call("POST", acct(`/clients/${encodeURIComponent(c.clientId)}/rotate`))); await load(); } catch (err) { rotateError.textContent = err.message; }
      });
      return el("tr", {},
        el("td", { class: "title" }, c.name || "—"),
        el("td", { "data-label": "Client ID" }, el("code", {}, c.clientId)),
        el("td", { "data-label": "Role" }, c.role),
        el("td", { "data-label": "Created" }, when(c.createdAt)),
        el("td", { "data-label": "Rotated" }, when(c.rotatedAt)),
        el("td", { class: "row-actions" }, rotate, rotateError, deleteButton(`the client ${c.name || c.clientId}`, async () => {
          await call("DELETE", acct(`/clients/${encodeURIComponent(c.clientId)}`));
          clear(secretBox);
          await load();
        })));
    });
    results.append(table("API clients", ["Name", "Client ID", "Role", "Created", "Rotated",
      el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Actions"))], rows, "stack"));
  }
  await load();
}
