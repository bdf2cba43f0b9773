// Event subscriptions: the endpoints an account's lifecycle events are
// POSTed to, signed with each one's secret. Creating one shows the secret
// Parley generated once; the list never has a secret. A subscription can
// be tested, paused, given a new secret, or deleted.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, group, formError, clearErrors, showError, input, table, when, loadingLine, page,
  deleteButton, secretNotice, badge,
} from "/assets/form.js";

// eventTypes are the API's event types (parley.EventTypes, in its order)
// with what they mean; "*" is every type, present and future.
export const eventTypes = [
  ["message.sent", "Message sent"],
  ["message.delivered", "Message delivered"],
  ["message.read", "Message read"],
  ["message.failed", "Message failed"],
  ["message.skipped", "Message skipped"],
  ["message.replied", "Message replied to"],
  ["consumer.opted_out", "Consumer opted out"],
  ["conversation.created", "Conversation created"],
  ["conversation.closed", "Conversation closed"],
  ["campaign.state_changed", "Campaign state changed"],
];
const ALL = "*";

export async function eventSubscriptions(main, session) {
  page(main, session, "Event subscriptions");
  const acct = (p) => accountPath(session.account, p);
  main.append(el("p", { class: "hint" },
    "Parley POSTs each event of the chosen types to the URL, with a Parley-Signature header made with the subscription's secret."));
  const secretBox = el("div", { class: "secret-slot", "aria-live": "polite" });
  const results = el("section", { class: "card", "aria-label": "Event subscriptions" });

  // showSecret shows a secret Parley generated, the one time it is shown.
  function showSecret(sub) {
    clear(secretBox);
    secretBox.append(secretNotice("Copy the signing secret now: it is not shown again.",
      [["Endpoint", sub.url, "sub-url"], ["Signing secret", sub.secret, "sub-secret"]], "Signing secret"));
  }

  if (canWrite(session)) main.append(createForm(acct, async (sub, generated) => {
    clear(secretBox);
    if (generated) showSecret(sub);
    else secretBox.append(el("p", { class: "notice ok", role: "status" }, `Subscribed ${sub.url}; the secret you gave signs its events.`));
    await load();
  }));
  main.append(secretBox, results);

  async function load() {
    clear(results);
    const status = loadingLine(results, "Loading event subscriptions…");
    let subs;
    try {
      subs = await call("GET", acct("/event-subscriptions"));
    } catch (err) {
      status.fail("The event subscriptions could not be loaded", err);
      return;
    }
    status.done();
    if (!subs.length) {
      results.append(el("p", { class: "empty" }, "No event subscriptions yet."));
      return;
    }
    const rows = subs.map((s) => el("tr", { "data-id": s.id },
      el("td", { class: "title" }, el("code", {}, s.url), s.description ? el("div", { class: "reason" }, s.description) : null),
      el("td", { "data-label": "Events" }, typesText(s.eventTypes)),
      el("td", { "data-label": "State" }, badge(s.enabled ? "ENABLED" : "PAUSED")),
      el("td", { "data-label": "Created" }, when(s.createdAt)),
      el("td", { class: "row-actions" }, canWrite(session) ? actions(s) : null)));
    results.append(table("Event subscriptions", ["URL", "Events", "State", "Created",
      el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Actions"))], rows, "stack"));
  }

  // actions are a subscription's buttons: test, pause or resume, a new
  // secret, delete. Their outcome shows in the row.
  function actions(s) {
    const out = el("span", { class: "outcome", role: "status" });
    const button = (label, of, run) => {
      const b = el("button", { type: "button", class: "ghost" }, label);
      b.setAttribute("aria-label", `${label} ${of} ${s.url}`);
      b.addEventListener("click", async () => {
        b.disabled = true;
        out.className = "outcome";
        out.textContent = "";
        try {
          await run();
        } catch (err) {
          out.className = "outcome error";
          out.textContent = err.message;
        } finally {
          b.disabled = false;
        }
      });
      return b;
    };
    const change = (patch) => call("PUT", acct(`/event-subscriptions/${encodeURIComponent(s.id)}`),
      { url: s.url, eventTypes: s.eventTypes, description: s.description || "", enabled: s.enabled, ...patch });
    const test = button("Send test event", "to", async () => {
      const d = await call("POST", acct(`/event-subscriptions/${encodeURIComponent(s.id)}/test`));
      out.className = d.outcome === "delivered" ? "outcome ok" : "outcome error";
      out.textContent = `Test ${d.outcome}${d.status ? ` (HTTP ${d.status})` : ""}${d.error ? `: ${d.error}` : ""}.`;
    });
    const pause = button(s.enabled ? "Pause" : "Resume", "the events to", async () => {
      await change({ enabled: !s.enabled });
      await load();
    });
    const rotate = button("New secret", "for", async () => {
      showSecret(await change({ rotateSecret: true }));
      secretBox.querySelector("code")?.scrollIntoView({ block: "nearest" });
    });
    return el("span", { class: "inline" }, test, pause, rotate, deleteButton(`the subscription of ${s.url}`, async () => {
      await call("DELETE", acct(`/event-subscriptions/${encodeURIComponent(s.id)}`));
      clear(secretBox);
      await load();
    }), out);
  }

  await load();
}

// typesText names a subscription's event types for people.
function typesText(types) {
  if (!types || !types.length) return "—";
  if (types.includes(ALL)) return "All events";
  return types.map((t) => (eventTypes.find(([v]) => v === t) || [t, t])[1]).join(", ");
}

// createForm is the form of a new subscription; created(sub, generated)
// gets the API's answer and whether Parley made the secret.
function createForm(acct, created) {
  const url = input({ type: "url", inputmode: "url", placeholder: "https://hooks.example.com/parley", maxlength: 2048 });
  const description = input({ maxlength: 200 });
  const secret = input({ type: "password", autocomplete: "new-password", minlength: 32, maxlength: 256 });
  const all = el("input", { type: "checkbox", id: "type-all", value: ALL });
  const boxes = eventTypes.map(([v, label]) => {
    const box = el("input", { type: "checkbox", id: `type-${v.replace(/\W/g, "-")}`, value: v });
    return [box, el("label", { class: "choice", for: box.id }, box, el("span", {}, label, " ", el("code", {}, v)))];
  });
  all.addEventListener("change", () => { for (const [b] of boxes) b.disabled = all.checked; });
  const types = group("eventTypes", "Events",
    el("label", { class: "choice", for: all.id }, all, "All events, including types added later"),
    el("div", { class: "types" }, ...boxes.map(([, l]) => l)));
  const error = formError();
  const create = el("button", { type: "submit" }, "Create subscription");
  const f = el("form", { class: "form card", novalidate: true, "aria-label": "New event subscription" },
    el("h2", {}, "New subscription"),
    field("url", "Endpoint URL", url, "https, to a public host."),
    types,
    field("secret", "Signing secret (optional)", secret, "32 to 256 characters. Leave it empty and Parley makes one, shown once."),
    field("description", "Description (optional)", description),
    error, el("div", { class: "actions" }, create));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    const chosen = all.checked ? [ALL] : boxes.filter(([b]) => b.checked).map(([b]) => b.value);
    const body = { url: url.value.trim(), eventTypes: chosen, description: description.value.trim() };
    const generated = !secret.value;
    if (!generated) body.secret = secret.value;
    create.disabled = true;
    try {
      const sub = await call("POST", acct("/event-subscriptions"), body);
      secret.value = "";
      f.reset();
      for (const [b] of boxes) b.disabled = false;
      await created(sub, generated);
    } catch (err) {
      showError(f, err);
    } finally {
      create.disabled = false;
    }
  });
  return f;
}
