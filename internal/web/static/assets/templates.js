// WhatsApp message templates (seeds 002 and 004): the list with Meta's
// review status, a template's definition with a preview of the message,
// submission to Meta for review, resubmission of a rejected one, deletion.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, group, formError, readOnly, onSave, showFlash, input, textarea, select,
  table, badge, when, loadingLine, page, deleteButton,
} from "/assets/form.js";
import { templatePreview } from "/assets/handoffs.js";

const categories = [["MARKETING", "Marketing"], ["UTILITY", "Utility"], ["AUTHENTICATION", "Authentication"]];
const headers = [["", "None"], ["text", "Text"], ["image", "Image"], ["video", "Video"], ["document", "Document"], ["location", "Location"]];
const kinds = [["quick_reply", "Quick reply"], ["url", "Visit website (URL)"], ["phone_number", "Call phone number"], ["copy_code", "Copy code"]];
const languages = ["en_US", "en_GB", "en", "es", "es_MX", "fr", "de", "it", "pt_BR", "nl", "ja", "zh_CN", "ar", "hi"];

// editable says whether Meta's status lets the definition change.
const editable = (t) => t.status === "REJECTED" || t.status === "PAUSED";

export async function templates(main, session, rest) {
  if (rest[0] === "new" && canWrite(session)) return form(main, session, null);
  if (rest[0] && rest[0] !== "new") return form(main, session, rest[0]);
  return list(main, session);
}

async function list(main, session) {
  page(main, session, "WhatsApp templates",
    canWrite(session) ? el("a", { class: "button", href: "#templates/new", id: "new-template" }, "New template") : null);
  main.append(el("p", { class: "hint" }, "Every WhatsApp message a campaign or handoff sends uses a template Meta approved. ",
    "Creating a template submits it to Meta; its status follows Meta's review."));
  const section = el("section", { class: "card", "aria-label": "Templates" });
  main.append(section);
  const status = loadingLine(section, "Loading templates…");
  let ts;
  try {
    ts = await call("GET", accountPath(session.account, "/templates"));
  } catch (err) {
    status.fail("The templates could not be loaded", err);
    return;
  }
  status.done();
  if (!ts.length) {
    section.append(el("p", { class: "empty" }, "No templates yet."));
    return;
  }
  ts.sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
  const rows = ts.map((t) => el("tr", {},
    el("td", { class: "title" }, el("a", { href: `#templates/${encodeURIComponent(t.id)}` }, t.name)),
    el("td", { "data-label": "Language" }, t.language),
    el("td", { "data-label": "Category" }, t.category),
    el("td", { "data-label": "Status" }, badge(t.status), t.reason ? el("span", { class: "reason" }, ` ${t.reason}`) : null),
    el("td", { "data-label": "Updated" }, when(t.updatedAt))));
  section.append(table("WhatsApp templates", ["Name", "Language", "Category", "Status", "Updated"], rows, "stack"));
}

async function form(main, session, id) {
  page(main, session, id ? "WhatsApp template" : "New WhatsApp template",
    el("a", { class: "button ghost", href: "#templates" }, "Back to templates"));
  const status = loadingLine(main, "Loading…");
  const acct = (p) => accountPath(session.account, p);
  let t = { name: "", language: "en_US", category: "MARKETING", wabaId: "", outboundNumber: "", body: "", buttons: [] };
  let chans = [];
  try {
    const got = await Promise.all([
      id ? call("GET", acct(`/templates/${encodeURIComponent(id)}`)) : null,
      call("GET", acct("/channels")).catch(() => []),
    ]);
    if (got[0]) t = got[0];
    chans = got[1] || [];
  } catch (err) {
    status.fail("The template could not be loaded", err);
    return;
  }
  status.done();
  if (id) main.querySelector("h1").textContent = t.name;
  const write = canWrite(session) && (!id || editable(t));

  const wa = chans.find((c) => c.channel === "whatsapp");
  const numbers = wa ? (wa.senders || []).map((s) => s.outboundNumber).filter(Boolean) : [];
  const numberList = el("datalist", { id: "wa-numbers" }, ...numbers.map((n) => el("option", { value: n })));
  const langList = el("datalist", { id: "wa-languages" }, ...languages.map((l) => el("option", { value: l })));

  const name = input({ value: t.name, maxlength: 512, pattern: "[a-z0-9_]+" });
  const language = input({ value: t.language, list: "wa-languages" });
  const category = select(categories, t.category);
  const waba = input({ value: t.wabaId, inputmode: "numeric" });
  const number = input({ value: t.outboundNumber, list: "wa-numbers", inputmode: "tel", placeholder: "+12025550100" });
  if (id) for (const c of [name, language, waba, number]) c.readOnly = true;
  const header = select(headers, t.header || "");
  const headerText = input({ value: t.headerText || "", maxlength: 60 });
  const headerExample = input({ value: t.headerExample || "" });
  const body = textarea({ maxlength: 1024, rows: 5 });
  body.value = t.body || "";
  const examplesBox = el("div", { class: "examples" });
  const footer = input({ value: t.footer || "", maxlength: 60 });
  const security = el("input", { type: "checkbox" });
  security.checked = Boolean(t.securityRecommendation);
  const expiry = input({ type: "number", min: 1, max: 90, value: t.codeExpirationMinutes || "" });
  const buttonsBox = el("div", { class: "buttons" });
  const addButton = el("button", { type: "button", class: "ghost" }, "Add button");
  const preview = el("div", { class: "preview-slot", "aria-live": "polite" });

  let examples = [...(t.bodyExamples || [])];
  let buttons = (t.buttons || []).map((b) => ({ ...b }));

  const headerTextField = field("headerText", "Header text", headerText, "At most 60 characters and one {{1}}.");
  const headerExampleField = field("headerExample", "Header example", headerExample,
    "The value of the header's {{1}}, or the handle of a sample file uploaded to Meta for a media header.");
  const authBox = el("div", { class: "auth" },
    el("div", { class: "field" }, el("label", { class: "choice", for: (security.id = "tpl-security") }, security,
      "Add “For your security, do not share this code.”")),
    field("codeExpirationMinutes", "Code expires after (minutes)", expiry, "1 to 90; empty for no expiry line."));
  const contentBox = el("div", { class: "content" },
    field("header", "Header", header), headerTextField, headerExampleField,
    field("body", "Body", body, "Variables run {{1}}, {{2}}…; neither first nor last."),
    examplesBox,
    field("footer", "Footer", footer, "At most 60 characters, no variables."),
    group("buttons", "Buttons", el("p", { class: "hint" }, "Up to 3 quick replies, or up to 2 calls to action (one URL, one phone number)."),
      buttonsBox, addButton));

  const error = formError();
  const submit = el("button", { type: "submit" }, id ? "Resubmit to Meta" : "Submit to Meta");
  const f = el("form", { class: "form card", novalidate: true },
    el("div", { class: "grid2" },
      field("name", "Name", name, "Lower case letters, digits and underscores, unique with its language."),
      field("language", "Language", language, "A WhatsApp language code such as en_US."),
      field("category", "Category", category),
      field("wabaId", "WhatsApp Business Account ID", waba),
      field("outboundNumber", "Sending number", number, "The WhatsApp number whose account submits the template.")),
    numberList, langList, authBox, contentBox, error,
    write ? el("div", { class: "actions" }, submit) : null);

  const layout = el("div", { class: "split" }, f, el("aside", { class: "card", "aria-labelledby": "preview-title" },
    el("h2", { id: "preview-title" }, "Preview"), preview,
    id ? el("div", { class: "review" }, el("h2", {}, "Review"), el("p", {}, "Status ", badge(t.status),
      t.reason ? ` — ${t.reason}` : ""), t.metaTemplateId ? el("p", {}, "Meta's id ", el("code", {}, t.metaTemplateId)) : null) : null));
  main.append(layout);

  function current() {
    const auth = category.value === "AUTHENTICATION";
    return {
      name: name.value.trim(), language: language.value.trim(), category: category.value,
      wabaId: waba.value.trim(), outboundNumber: number.value.trim(),
      header: auth ? undefined : header.value || undefined,
      headerText: !auth && header.value === "text" ? headerText.value : undefined,
      headerExample: !auth && header.value && header.value !== "location" ? headerExample.value || undefined : undefined,
      body: category.value === "AUTHENTICATION" ? undefined : body.value,
      bodyExamples: category.value === "AUTHENTICATION" ? undefined : examples.slice(0, variables(body.value)),
      footer: category.value === "AUTHENTICATION" ? undefined : footer.value || undefined,
      buttons: buttons.length ? buttons.map((b) => {
        const out = { kind: b.kind, text: b.text || "" };
        if (b.kind === "url") out.url = b.url || "";
        if (b.kind === "phone_number") out.phone = b.phone || "";
        if ((b.kind === "url" && String(b.url || "").includes("{{")) || (b.kind === "copy_code" && !auth)) out.example = b.example || "";
        return out;
      }) : undefined,
      securityRecommendation: category.value === "AUTHENTICATION" ? security.checked : undefined,
      codeExpirationMinutes: category.value === "AUTHENTICATION" && expiry.value ? Number(expiry.value) : undefined,
      version: id ? t.version : undefined,
    };
  }

  function renderExamples() {
    const n = variables(body.value);
    clear(examplesBox);
    for (let i = 0; i < n; i++) {
      const ex = input({ value: examples[i] || "" });
      ex.addEventListener("input", () => { examples[i] = ex.value; renderPreview(); });
      examplesBox.append(field(i === 0 ? "bodyExamples" : `bodyExamples[${i}]`, `Example of {{${i + 1}}}`, ex));
    }
  }

  function renderButtons() {
    clear(buttonsBox);
    buttons.forEach((b, i) => {
      const kind = select(kinds, b.kind);
      const text = input({ value: b.text || "", maxlength: 25 });
      const row = el("div", { class: "button-row" }, field(`buttons[${i}].kind`, `Button ${i + 1}`, kind),
        field(`buttons[${i}].text`, "Text", text));
      kind.addEventListener("change", () => { b.kind = kind.value; renderButtons(); renderPreview(); });
      text.addEventListener("input", () => { b.text = text.value; renderPreview(); });
      if (b.kind === "url") {
        const url = input({ value: b.url || "", inputmode: "url", placeholder: "https://example.com/order/{{1}}" });
        url.addEventListener("input", () => {
          const was = String(b.url || "").includes("{{");
          b.url = url.value;
          if (was === b.url.includes("{{")) return;
          renderButtons();
          const again = buttonsBox.querySelector(`[data-field="buttons[${i}].url"]`);
          again.focus();
          again.setSelectionRange(again.value.length, again.value.length);
        });
        row.append(field(`buttons[${i}].url`, "URL", url, "https only; a dynamic one ends in {{1}}."));
        if (String(b.url || "").includes("{{")) {
          const ex = input({ value: b.example || "", inputmode: "url" });
          ex.addEventListener("input", () => { b.example = ex.value; });
          row.append(field(`buttons[${i}].example`, "Example URL", ex));
        }
      }
      if (b.kind === "phone_number") {
        const phone = input({ value: b.phone || "", inputmode: "tel", placeholder: "+12025550100" });
        phone.addEventListener("input", () => { b.phone = phone.value; });
        row.append(field(`buttons[${i}].phone`, "Phone number", phone));
      }
      if (b.kind === "copy_code") {
        const ex = input({ value: b.example || "", maxlength: 15 });
        ex.addEventListener("input", () => { b.example = ex.value; });
        row.append(field(`buttons[${i}].example`, "Example code", ex));
      }
      const remove = el("button", { type: "button", class: "ghost" }, "Remove");
      remove.setAttribute("aria-label", `Remove button ${i + 1}`);
      remove.addEventListener("click", () => { buttons.splice(i, 1); renderButtons(); renderPreview(); addButton.focus(); });
      row.append(remove);
      buttonsBox.append(row);
    });
    addButton.hidden = buttons.length >= 3;
    if (!write) readOnly(f);
  }

  function renderPreview() {
    clear(preview);
    preview.append(templatePreview(current()));
  }

  function renderKind() {
    const auth = category.value === "AUTHENTICATION";
    authBox.hidden = !auth;
    for (const n of contentBox.children) n.hidden = auth && !n.matches("fieldset");
    headerTextField.hidden = auth || header.value !== "text";
    headerExampleField.hidden = auth || !header.value || header.value === "location";
    renderPreview();
  }

  addButton.addEventListener("click", () => {
    buttons.push({ kind: "quick_reply", text: "" });
    renderButtons();
    renderPreview();
    const last = buttonsBox.querySelector(".button-row:last-child select");
    if (last) last.focus();
  });
  body.addEventListener("input", () => { renderExamples(); renderPreview(); });
  for (const c of [headerText, headerExample, footer, expiry]) c.addEventListener("input", renderPreview);
  for (const c of [header, category, security]) c.addEventListener("change", renderKind);
  renderExamples();
  renderButtons();
  renderKind();

  onSave(f, submit, async () => {
    const saved = id
      ? await call("PUT", acct(`/templates/${encodeURIComponent(id)}`), current())
      : await call("POST", acct("/templates"), current());
    return { hash: `#templates/${encodeURIComponent(saved.id)}`,
      message: `Submitted “${saved.name}” to Meta: ${saved.status}${saved.reason ? ` (${saved.reason})` : ""}.` };
  }, () => form(main, session, id));
  showFlash(layout);
  if (!write) {
    readOnly(f);
    if (id && canWrite(session)) {
      layout.before(el("p", { class: "notice", role: "note" },
        t.status === "APPROVED" ? "Meta approved this template: it cannot change. Create a new one to send different text."
          : `A ${t.status} template cannot change.`));
    }
  }
  if (!id) return;
  if (canWrite(session)) {
    main.append(el("div", { class: "actions danger-zone" }, deleteButton(`the template “${t.name}”`, async () => {
      await call("DELETE", acct(`/templates/${encodeURIComponent(id)}`));
      location.hash = "#templates";
    })));
  }
  if ((t.history || []).length) {
    const rows = [...t.history].reverse().map((c) => el("tr", {}, el("td", {}, when(c.at)), el("td", {}, badge(c.status)), el("td", {}, c.reason || "")));
    main.append(el("section", { class: "card", "aria-labelledby": "history-title" }, el("h2", { id: "history-title" }, "Status history"),
      table("Status history", ["When", "Status", "Reason"], rows)));
  }
}

// variables counts the {{n}} of a text: the highest n.
function variables(text) {
  let n = 0;
  for (const m of String(text || "").matchAll(/\{\{(\d+)\}\}/g)) n = Math.max(n, Number(m[1]));
  return Math.min(n, 20);
}
