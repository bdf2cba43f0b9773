// Form helpers of the settings pages: labelled fields that show the API's
// error next to the field its problem names, read-only forms for roles
// that may only look, tables, pagers and status badges.
import { el, clear } from "/assets/dom.js";

// canWrite reports whether the session's role may change things; support
// may only look.
export function canWrite(session) {
  return Boolean(session.permissions && session.permissions.includes("write"));
}

let ids = 0;

// field returns a labelled control with a hint and a slot for its error.
// name is the API's name of the field ("title", "channels[0].text"): an
// error whose problem names it is shown in the slot.
export function field(name, label, control, hint) {
  const id = control.id || `f${++ids}`;
  control.id = id;
  control.dataset.field = name;
  if (!control.name) control.name = name;
  const error = el("p", { class: "error field-error", id: `${id}-error` });
  const described = [`${id}-error`];
  let hintNode = null;
  if (hint) {
    hintNode = el("span", { class: "hint", id: `${id}-hint` }, hint);
    described.unshift(`${id}-hint`);
  }
  control.setAttribute("aria-describedby", described.join(" "));
  return el("div", { class: "field" }, el("label", { for: id }, label), control, hintNode, error);
}

// choice is a checkbox (or radio) box labelled label, with a slot for the
// error of the API field name; cls adds to the label's class.
export function choice(name, label, box, cls = "") {
  const id = box.id || `f${++ids}`;
  box.id = id;
  box.dataset.field = name;
  box.setAttribute("aria-describedby", `${id}-error`);
  return el("div", { class: "field" }, el("label", { class: `choice ${cls}`.trim(), for: id }, box, label),
    el("p", { class: "error field-error", id: `${id}-error` }));
}

// group is a fieldset with a legend, its own error slot, and the name of
// the API field it stands for ("channels").
export function group(name, legend, ...children) {
  const error = el("p", { class: "error field-error" });
  const set = el("fieldset", { class: "group", "data-field": name }, el("legend", {}, legend), ...children, error);
  return set;
}

// formError is the form's alert for errors that name no field of it.
export function formError() {
  return el("p", { class: "error form-error", role: "alert" });
}

// clearErrors empties every error slot of form.
export function clearErrors(form) {
  for (const n of form.querySelectorAll(".field-error, .form-error")) n.textContent = "";
  for (const n of form.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
}

// fieldNames are the names an error on field may be shown at, the most
// specific first: channels[0].text, channels[0], channels.
function fieldNames(name) {
  const out = [];
  let n = name;
  while (n) {
    out.push(n);
    const cut = Math.max(n.lastIndexOf("."), n.lastIndexOf("["));
    n = cut > 0 ? n.slice(0, cut) : "";
  }
  return out;
}

// fieldTarget is the control or fieldset of root the API field name is
// shown at, the most specific first; null when root has none.
export function fieldTarget(root, name) {
  for (const n of fieldNames(name)) {
    const target = root.querySelector(`[data-field="${CSS.escape(n)}"]`);
    if (target) return target;
  }
  return null;
}

// markError shows message in the error slot of target, a control or a
// fieldset, and returns what takes the focus for it.
export function markError(target, message) {
  if (target.matches("fieldset")) {
    target.querySelector(":scope > .field-error").textContent = message;
    return target.querySelector("input, select, textarea, button") || target;
  }
  target.closest(".field").querySelector(".field-error").textContent = message;
  target.setAttribute("aria-invalid", "true");
  return target;
}

// showError shows err next to the field its problem names, else in the
// form's alert, and moves the focus there.
export function showError(form, err) {
  const name = err.problem && err.problem.field;
  const target = name ? fieldTarget(form, name) : null;
  if (target) {
    markError(target, err.message).focus();
    return;
  }
  let alert = form.querySelector(".form-error");
  if (!alert) form.append((alert = formError()));
  alert.textContent = err.message;
  alert.setAttribute("tabindex", "-1");
  alert.focus();
}

// readOnly disables every control of form, for roles that may only look.
export function readOnly(form) {
  for (const set of form.querySelectorAll(":scope > fieldset")) set.disabled = true;
  for (const c of form.querySelectorAll("input, select, textarea, button")) c.disabled = true;
}

// input and the others build controls.
export function input(attrs = {}) { return el("input", { type: "text", autocomplete: "off", ...attrs }); }
export function textarea(attrs = {}) { return el("textarea", { rows: 4, ...attrs }); }
export function select(options, value, attrs = {}) {
  const s = el("select", attrs, ...options.map(([v, label]) => el("option", { value: v }, label)));
  if (value !== undefined) s.value = value;
  return s;
}

// table builds a table from column headers and rows of cells.
export function table(caption, headers, rows, cls = "") {
  return el("table", { class: `list ${cls}`.trim() },
    el("caption", { class: "sr-only" }, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => (h instanceof Node ? h : el("th", { scope: "col" }, h))))),
    el("tbody", {}, ...rows));
}

// badge shows a status: PENDING, APPROVED, REJECTED and the others.
export function badge(status) {
  const s = String(status || "").toLowerCase();
  return el("span", { class: `status status-${s}` }, status || "—");
}

// when formats an instant for people.
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// loading puts a status line in node and returns a function that shows an
// error there instead.
export function loadingLine(node, text) {
  const status = el("p", { class: "loading", role: "status" }, text);
  node.append(status);
  return {
    done() { status.remove(); },
    fail(what, err) {
      status.className = "error";
      status.setAttribute("role", "alert");
      status.textContent = `${what}: ${err.message}`;
    },
  };
}

// page clears main and gives it a heading and, for roles that may only
// look, the notice that the page is read-only.
export function page(main, session, title, ...actions) {
  clear(main);
  document.title = `${title} · Parley`;
  main.append(el("div", { class: "head" }, el("h1", {}, title), ...actions));
  if (!canWrite(session)) {
    main.append(el("p", { class: "notice", role: "note" }, "Your role may view this page; only admins and campaign managers change it."));
  }
}

// onSave handles the submit of form f, a saved item's page: save() saves
// and answers the hash the item opens at and what to tell the user there;
// open() shows that page again when the hash already names it. An error
// shows next to the field it names.
export function onSave(f, button, save, open) {
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    button.disabled = true;
    try {
      const { hash, message } = await save();
      sessionStorage.setItem("parley-flash", message);
      if (location.hash === hash) await open();
      else location.hash = hash;
    } catch (err) {
      showError(f, err);
    } finally {
      button.disabled = false;
    }
  });
}

// showFlash puts the message a save left for the page before node.
export function showFlash(node) {
  const flash = sessionStorage.getItem("parley-flash");
  if (!flash) return;
  sessionStorage.removeItem("parley-flash");
  node.before(el("p", { class: "notice ok", role: "status" }, flash));
}

// deleteButton is a Delete button that asks once more, in the page,
// before it calls remove; errors show in its alert.
export function deleteButton(what, remove) {
  const ask = el("button", { type: "button", class: "ghost danger" }, "Delete");
  ask.setAttribute("aria-label", `Delete ${what}`);
  const yes = el("button", { type: "button", class: "danger" }, "Yes, delete");
  const no = el("button", { type: "button", class: "ghost" }, "Cancel");
  const error = el("span", { class: "error", role: "alert" });
  const confirm = el("span", { class: "confirm", hidden: true }, `Delete ${what}? `, yes, no);
  ask.addEventListener("click", () => { ask.hidden = true; confirm.hidden = false; yes.focus(); });
  no.addEventListener("click", () => { confirm.hidden = true; ask.hidden = false; ask.focus(); });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    error.textContent = "";
    try {
      await remove();
    } catch (err) {
      error.textContent = err.message;
      yes.disabled = false;
    }
  });
  return el("span", { class: "delete" }, ask, confirm, error);
}

// secretNotice shows credentials the one time the API returns them: a
// heading line, then label and value pairs; the value of secretLabel gets
// a Copy button. Nothing keeps them: a reload shows them no more.
export function secretNotice(heading, pairs, secretLabel) {
  const lines = pairs.map(([label, value, id]) => {
    const code = el("code", { id }, value);
    if (label !== secretLabel) return el("p", {}, `${label} `, code);
    const copy = el("button", { type: "button", class: "ghost" }, "Copy secret");
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(value); copy.textContent = "Copied"; } catch { copy.textContent = "Select and copy it"; }
    });
    return el("p", {}, `${label} `, code, " ", copy);
  });
  return el("div", { class: "notice ok secret", role: "status" }, el("p", {}, el("strong", {}, heading)), ...lines);
}
