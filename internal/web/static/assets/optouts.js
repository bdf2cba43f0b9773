// The opt-out list: numbers no campaign sends to, per channel or on all,
// paged; adding and removing a number.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, formError, clearErrors, showError, input, select,
  table, when, loadingLine, page, deleteButton,
} from "/assets/form.js";

const pageSize = 50;
const channels = [["", "All channels"], ["sms", "SMS"], ["whatsapp", "WhatsApp"], ["voice", "Calls (do not call)"]];

export async function optouts(main, session) {
  page(main, session, "Opt-outs",
    el("a", { class: "button ghost", href: accountPath(session.account, "/optouts/export"), download: "optouts.csv" }, "Download (CSV)"));
  const acct = (p) => accountPath(session.account, p);

  if (canWrite(session)) {
    const phone = input({ inputmode: "tel", placeholder: "+12025550100" });
    const channel = select([["all", "All channels"], ["sms", "SMS"], ["whatsapp", "WhatsApp"], ["voice", "Calls (do not call)"]], "all");
    const error = formError();
    const add = el("button", { type: "submit" }, "Add to the list");
    const f = el("form", { class: "form card inline-form", novalidate: true, "aria-label": "Add an opt-out" },
      field("phone", "Phone number", phone, "In E.164, or as recipients' numbers are written."), field("channel", "Channel", channel),
      el("div", { class: "actions" }, add), error);
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(f);
      add.disabled = true;
      try {
        const saved = await call("POST", acct("/optouts"), { phone: phone.value.trim(), channel: channel.value });
        phone.value = "";
        f.querySelector(".notice.ok")?.remove();
        f.append(el("p", { class: "notice ok", role: "status" }, `${saved.phone || "The number"} is on the list.`));
        cursors.length = 0;
        await load("");
      } catch (err) {
        showError(f, err);
      } finally {
        add.disabled = false;
      }
    });
    main.append(f);
  }

  const filter = select(channels, "");
  const filters = el("form", { class: "filters", "aria-label": "Filter" }, field("channel", "Show", filter));
  filters.addEventListener("submit", (ev) => ev.preventDefault());
  const results = el("section", { class: "card", "aria-label": "Opt-out list" });
  main.append(filters, results);
  filter.addEventListener("change", () => { cursors.length = 0; load(""); });

  // cursors are the cursors of the pages before the shown one.
  const cursors = [];
  let shown = "";
  async function load(cursor) {
    clear(results);
    const status = loadingLine(results, "Loading the opt-out list…");
    const q = new URLSearchParams({ limit: pageSize });
    if (cursor) q.set("cursor", cursor);
    if (filter.value) q.set("channel", filter.value);
    let p;
    try {
      p = await call("GET", acct(`/optouts?${q}`));
    } catch (err) {
      status.fail("The opt-out list could not be loaded", err);
      return;
    }
    status.done();
    shown = cursor;
    if (!p.optOuts.length) {
      results.append(el("p", { class: "empty" }, "No number has opted out."));
    } else {
      const rows = p.optOuts.map((o) => el("tr", {},
        el("td", { class: "title" }, o.phone),
        el("td", { "data-label": "Channel" }, o.channel),
        el("td", { "data-label": "Source" }, o.source),
        el("td", { "data-label": "Since" }, when(o.createdAt)),
        el("td", {}, canWrite(session) ? deleteButton(`${o.phone} from the list`, async () => {
          const ch = o.channel && o.channel !== "all" ? `?channel=${encodeURIComponent(o.channel)}` : "";
          await call("DELETE", acct(`/optouts/${encodeURIComponent(o.phone)}${ch}`));
          await load(shown);
        }) : null)));
      results.append(table("Opt-out list", ["Phone", "Channel", "Source", "Since", el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Actions"))], rows, "stack"));
    }
    const prev = el("button", { type: "button", class: "ghost" }, "Previous");
    const next = el("button", { type: "button", class: "ghost" }, "Next");
    prev.disabled = cursors.length === 0;
    next.disabled = !p.next;
    prev.addEventListener("click", () => load(cursors.pop()));
    next.addEventListener("click", () => { cursors.push(shown); load(p.next); });
    results.append(el("nav", { class: "pager", "aria-label": "Pages of the list" }, prev,
      el("span", { role: "status" }, `Page ${cursors.length + 1}`), next));
  }
  await load("");
}
