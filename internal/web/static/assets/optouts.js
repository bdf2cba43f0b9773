// The opt-out list: numbers no campaign sends to, per channel or on all,
// paged; adding and removing a number, and importing a CSV file of them
// with each refused line shown by its number.
import { call, upload, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, formError, clearErrors, showError, input, select,
  table, when, loadingLine, page, deleteButton,
} from "/assets/form.js";

const pageSize = 50;
const channels = [["", "All channels"], ["sms", "SMS"], ["whatsapp", "WhatsApp"], ["voice", "Calls (do not call)"]];
const entryChannels = [["all", "All channels"], ...channels.slice(1)];

export async function optouts(main, session) {
  page(main, session, "Opt-outs",
    el("a", { class: "button ghost", href: accountPath(session.account, "/optouts/export"), download: "optouts.csv" }, "Download (CSV)"));
  const acct = (p) => accountPath(session.account, p);

  if (canWrite(session)) {
    const phone = input({ inputmode: "tel", placeholder: "+12025550100" });
    const channel = select(entryChannels, "all");
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
    main.append(f, importForm(acct, async () => { cursors.length = 0; await load(""); }));
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

// importForm uploads a CSV file of numbers (POST …/optouts/import) and
// shows what it did: the counts, and each refused line with its number
// and reason. imported reloads the list.
function importForm(acct, imported) {
  const file = el("input", { type: "file", accept: ".csv,text/csv,text/plain" });
  const channel = select(entryChannels, "all");
  const result = el("div", { class: "import-result", "aria-live": "polite" });
  const send = el("button", { type: "submit" }, "Import");
  const f = el("form", { class: "form card", novalidate: true, "aria-label": "Import opt-outs" },
    el("h2", {}, "Import a file"),
    el("div", { class: "row" },
      field("file", "CSV file", file, "One number a line, then optionally its channel (sms, whatsapp, voice or all); a header row phone,channel is optional. At most 10,000 lines."),
      field("channel", "Channel of lines that name none", channel)),
    el("div", { class: "actions" }, send), formError(), result);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    clear(result);
    const chosen = file.files[0];
    if (!chosen) {
      showError(f, { message: "Choose a CSV file first.", problem: { field: "file" } });
      return;
    }
    send.disabled = true;
    result.setAttribute("aria-busy", "true");
    try {
      const r = await upload("POST", acct(`/optouts/import?channel=${encodeURIComponent(channel.value)}`), chosen, "text/csv");
      const failed = r.failed || [];
      result.append(el("p", { class: failed.length ? "notice" : "notice ok", role: "status", id: "import-summary" },
        `${chosen.name}: ${r.added} added, ${r.existing} already on the list, ${failed.length} line${failed.length === 1 ? "" : "s"} refused.`));
      if (failed.length) {
        result.append(table(`Refused lines of ${chosen.name}`, [el("th", { scope: "col", class: "num" }, "Line"), "Number", "Why"],
          failed.map((l) => el("tr", { class: "bad", "data-line": l.line },
            el("td", { class: "num", "data-label": "Line" }, String(l.line)),
            el("td", { "data-label": "Number" }, l.phone || "—"),
            el("td", { "data-label": "Why" }, el("strong", { class: "error" }, l.detail || l.errorMessage)))), "stack import-errors"));
      }
      file.value = "";
      await imported();
    } catch (err) {
      showError(f, err);
    } finally {
      send.disabled = false;
      result.removeAttribute("aria-busy");
    }
  });
  return f;
}
