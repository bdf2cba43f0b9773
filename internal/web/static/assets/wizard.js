// The New campaign wizard (seeds 001 and 002): Compose, Recipients,
// Schedule, Preview & launch. It checks the campaign with the Parse API
// (POST …/campaign/parse) and creates it with POST …/campaign, both with a
// CSV upload (multipart) or the typed recipients (manualRecipients).
import { call, accountPath, csrfToken, APIError } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, choice, group, clearErrors, fieldTarget, markError, input, textarea, select, when,
} from "/assets/form.js";

const SMS_TEMPLATE = "1234567890"; // a plain SMS campaign's templateId
const SMS_LIMIT = 140; // characters, opt-out text included (seed 001)
const DEFAULT_OPT_OUT = "Reply STOP to opt out";
const MANUAL_MAX = 100;
const steps = ["Compose", "Recipients", "Schedule", "Preview & launch"];
const days = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const lookbacks = [[60, "1 hour"], [1440, "1 day"], [10080, "7 days"], [43200, "30 days"]];

// GSM 03.38: the basic set, and the extension table (two units each).
const gsmBasic = new Set(Array.from("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"));
const gsmExt = new Set(Array.from("^{}\\[~]|€\f"));

// smsCount is what the counter shows: the text's encoding, its length in
// that encoding's units and the segments it is billed as.
export function smsCount(text) {
  const chars = Array.from(text);
  const gsm = chars.every((c) => gsmBasic.has(c) || gsmExt.has(c));
  if (gsm) {
    const units = chars.reduce((n, c) => n + (gsmExt.has(c) ? 2 : 1), 0);
    return { encoding: "GSM-7", units, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  const units = text.length; // UTF-16 code units
  return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

// stepOfField is the step of each of the API's fields the wizard sets
// (the first part of a field's name: deliveryWindow.days[0] is
// deliveryWindow's).
const stepOfField = {
  campaignName: 0, channel: 0, outboundNumber: 0, skill: 0, lookbackMinutes: 0, message: 0, templateId: 0,
  manualRecipients: 1, recipients: 1, consumers: 1, deliveryWindow: 2, startTime: 2, endTime: 2, consent: 3,
};
const stepOf = (name) => stepOfField[String(name).split(/[.[]/)[0]];

// withId gives control its id, which the wizard's tests and labels name.
function withId(control, id) {
  control.id = id;
  return control;
}

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function wizard(main, session) {
  clear(main);
  const account = session.account;
  main.append(el("div", { class: "head" }, el("h1", {}, "New campaign"),
    el("a", { class: "button ghost", href: "#" }, "Back to campaigns")));
  if (!canWrite(session)) {
    main.append(el("p", { class: "card notice", role: "status" },
      `Your role (${session.role}) can read campaigns but not create or launch them.`));
    return;
  }
  const s = {
    step: 0, name: "", channel: "sms", number: "", skill: "", lookback: 43200, message: "", templateId: "",
    mode: "csv", file: null, manual: "", parsed: null, parsedKey: "",
    start: "08:00", end: "21:00", days: [...days], startTime: "", endTime: "", consent: false,
  };
  const loading = el("p", { class: "loading", role: "status" }, "Loading the account's settings…");
  main.append(loading);
  const [settings, templates, channels] = await Promise.all([
    call("GET", accountPath(account, "/settings")).catch(() => ({})),
    call("GET", accountPath(account, "/templates")).catch(() => []),
    call("GET", accountPath(account, "/channels")).catch(() => []),
  ]);
  loading.remove();
  const optOut = (settings.optOutText || "").trim() || DEFAULT_OPT_OUT;
  const skills = [...new Set([settings.defaultSkill, ...(settings.outboundSkills || [])].filter(Boolean))];
  s.skill = settings.defaultSkill || "";
  const senders = [];
  for (const c of Array.isArray(channels) ? channels : []) {
    for (const snd of c.senders || []) if (snd.number || snd.outboundNumber) senders.push(snd.number || snd.outboundNumber);
  }
  const tmplList = Array.isArray(templates) ? templates : (templates.templates || []);

  const nav = el("ol", { class: "steps", "aria-label": "Steps" });
  const body = el("section", { class: "card wizard", "aria-live": "polite" });
  const errorBox = el("p", { class: "error", role: "alert", id: "wizard-error" });
  main.append(nav, errorBox, body);
  const errors = {}; // the API's field name → message, kept across the steps

  // showErrors shows each error of the step's fields next to its field,
  // and answers what takes the focus for the first.
  function showErrors() {
    clearErrors(body);
    let first = null;
    for (const [name, message] of Object.entries(errors)) {
      const target = fieldTarget(body, name);
      const focus = target ? markError(target, message) : null;
      first = first || focus;
    }
    return first;
  }

  // apiError places an API error next to the field it names; one naming a
  // field of another step is also said at the top, with that step's name,
  // and one naming no field of the wizard is said there alone.
  function apiError(err) {
    errorBox.textContent = "";
    const name = err instanceof APIError ? err.problem.field : undefined;
    const step = name ? stepOf(name) : undefined;
    if (step === undefined) {
      errorBox.textContent = err.message;
      return;
    }
    errors[name] = err.message;
    showErrors();
    const target = step === s.step ? fieldTarget(body, name) : null;
    if (target) markError(target, err.message).focus();
    else errorBox.textContent = `${steps[step]}: ${err.message}`;
  }

  // check drops the errors of names, then sets those of found (name →
  // message, for the fields that are wrong); it answers whether all is
  // right.
  function check(names, found) {
    for (const n of names) delete errors[n];
    Object.assign(errors, found);
    const first = showErrors();
    if (Object.keys(found).length === 0) return true;
    if (first) first.focus();
    return false;
  }

  function campaignJSON(withConsent) {
    const c = { campaignName: s.name.trim(), skill: s.skill.trim(), channel: s.channel, consent: withConsent,
      outboundNumber: s.number.trim(), lookbackMinutes: Number(s.lookback),
      templateId: s.channel === "sms" ? SMS_TEMPLATE : s.templateId,
      deliveryWindow: { start: s.start, end: s.end, days: s.days } };
    if (s.channel === "sms") c.message = s.message;
    if (s.startTime) c.startTime = new Date(s.startTime).toISOString();
    if (s.endTime) c.endTime = new Date(s.endTime).toISOString();
    if (s.mode === "manual") c.manualRecipients = s.manual;
    return c;
  }

  // send posts the campaign (to path) as JSON or, with a CSV, multipart,
  // reporting the upload's progress.
  function send(path, withConsent, progress, idempotencyKey) {
    const c = campaignJSON(withConsent);
    if (s.mode === "manual") {
      return call("POST", accountPath(account, path), c, idempotencyKey ? { "Idempotency-Key": idempotencyKey } : undefined);
    }
    const form = new FormData();
    form.append("campaign", JSON.stringify(c));
    form.append("recipients", s.file, s.file.name);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", accountPath(account, path));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-Parley-CSRF", csrfToken());
      if (idempotencyKey) xhr.setRequestHeader("Idempotency-Key", idempotencyKey);
      xhr.upload.addEventListener("progress", (ev) => { if (ev.lengthComputable && progress) progress(ev.loaded / ev.total); });
      xhr.addEventListener("load", () => {
        let data = {};
        try { data = xhr.responseText ? JSON.parse(xhr.responseText) : {}; } catch { data = { detail: xhr.responseText }; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data); else reject(new APIError(xhr.status, data));
      });
      xhr.addEventListener("error", () => reject(new Error("the upload failed: the server could not be reached")));
      xhr.send(form);
    });
  }

  function render() {
    clear(nav);
    steps.forEach((name, i) => nav.append(el("li", { "aria-current": i === s.step ? "step" : false, class: i < s.step ? "done" : "" },
      el("span", { class: "num" }, String(i + 1)), " ", name)));
    clear(body);
    body.append(el("h2", { id: "step-title", tabindex: "-1" }, `Step ${s.step + 1}: ${steps[s.step]}`));
    [compose, recipients, schedule, launch][s.step]();
    showErrors();
  }

  function go(step) {
    errorBox.textContent = "";
    s.step = step;
    render();
    document.getElementById("step-title").focus();
  }

  function buttons(...nodes) { body.append(el("div", { class: "actions" }, ...nodes)); }

  function compose() {
    const name = withId(input({ value: s.name, maxlength: "200" }), "c-name");
    name.addEventListener("input", () => { s.name = name.value; });
    const channel = withId(select([["sms", "SMS"], ["whatsapp", "WhatsApp"], ["prioritized", "Prioritized: WhatsApp, then SMS"]], s.channel), "c-channel");
    channel.addEventListener("change", () => { s.channel = channel.value; render(); });
    const number = withId(input({ value: s.number, list: "c-number-list", inputmode: "tel", placeholder: "+12025550100" }), "c-number");
    number.addEventListener("input", () => { s.number = number.value; });
    const skill = withId(input({ type: "search", value: s.skill, list: "c-skill-list" }), "c-skill");
    skill.addEventListener("input", () => { s.skill = skill.value; });
    const lookback = withId(select(lookbacks, String(s.lookback)), "c-lookback");
    lookback.addEventListener("change", () => { s.lookback = Number(lookback.value); });
    body.append(
      field("campaignName", "Campaign name", name, "A clear name including the date, e.g. \"NA Subscription Renewal Expiring 12/31\"."),
      field("channel", "Channel", channel),
      field("outboundNumber", "Sending number", number, "With the country code."),
      el("datalist", { id: "c-number-list" }, ...senders.map((n) => el("option", { value: n }))),
      field("skill", "Route replies to skill", skill, skills.length ? "Type to search the account's skills." : "The agent skill that handles replies."),
      el("datalist", { id: "c-skill-list" }, ...skills.map((k) => el("option", { value: k }))),
      field("lookbackMinutes", "Lookback period", lookback, "Replies within this period route to the campaign's skill."));
    if (s.channel === "sms") {
      const text = withId(textarea(), "c-message");
      text.value = s.message;
      const counter = el("p", { class: "counter", id: "c-counter", "aria-live": "polite" });
      const preview = el("div", { class: "bubble", "aria-label": "Message as sent" });
      const update = () => {
        s.message = text.value;
        const full = `${s.message}\n${optOut}`;
        const n = smsCount(full);
        const chars = Array.from(full).length;
        counter.textContent = `${chars} / ${SMS_LIMIT} characters with the opt-out text · ${n.segments} segment${n.segments === 1 ? "" : "s"} · ${n.encoding}`;
        counter.classList.toggle("over", chars > SMS_LIMIT);
        clear(preview);
        preview.append(el("span", {}, s.message || "Your message"), el("span", { class: "optout" }, optOut));
      };
      text.addEventListener("input", update);
      body.append(field("message", "SMS text", text, `{{1}}, {{2}}… take each recipient's values. "${optOut}" is appended.`), counter, preview);
      update();
    } else {
      const tmpl = withId(select([["", "Choose a template"],
        ...tmplList.map((t) => [t.id, `${t.name} (${t.language}${t.status ? ", " + t.status.toLowerCase() : ""})`])], s.templateId), "c-template");
      const preview = el("div", { class: "wa-preview", id: "c-template-preview", "aria-label": "Template preview" });
      const update = () => {
        s.templateId = tmpl.value;
        clear(preview);
        const t = tmplList.find((x) => x.id === s.templateId);
        if (!t) { preview.append(el("p", { class: "empty" }, tmplList.length ? "No template chosen." : "The account has no WhatsApp templates yet.")); return; }
        const bubble = el("div", { class: "bubble wa" });
        if (t.header === "text" && t.headerText) bubble.append(el("p", { class: "wa-header" }, t.headerText));
        else if (t.header) bubble.append(el("p", { class: "wa-media" }, `[${t.header}]`));
        bubble.append(el("p", { class: "wa-body" }, t.body || ""));
        if (t.footer) bubble.append(el("p", { class: "wa-footer" }, t.footer));
        preview.append(bubble);
        if (t.buttons && t.buttons.length) {
          preview.append(el("div", { class: "wa-buttons" }, ...t.buttons.map((b) => el("span", { class: "wa-button" },
            b.kind === "url" ? `↗ ${b.text}` : b.kind === "phone_number" ? `☎ ${b.text}` : b.kind === "copy_code" ? "Copy code" : b.text))));
        }
      };
      tmpl.addEventListener("change", update);
      body.append(field("templateId", "WhatsApp template", tmpl), preview);
      update();
    }
    buttons(el("button", { type: "button", id: "next" }, "Next"));
    body.querySelector("#next").addEventListener("click", () => {
      const found = {};
      if (!s.name.trim()) found.campaignName = "Give the campaign a name.";
      if (!s.skill.trim()) found.skill = "Choose the skill replies route to.";
      if (!s.number.trim()) found.outboundNumber = "Give the number the campaign sends from.";
      if (s.channel === "sms" && !s.message.trim()) found.message = "Write the message.";
      if (s.channel !== "sms" && !s.templateId) found.templateId = "Choose a WhatsApp template.";
      // The API's errors of this step are checked again at the next parse.
      if (!check(Object.keys(errors).filter((k) => stepOf(k) === 0), found)) return;
      go(1);
    });
  }

  function recipients() {
    const modes = el("fieldset", { class: "modes" }, el("legend", {}, "How to give the recipients"),
      ...[["csv", "Upload a CSV file"], ["manual", `Type up to ${MANUAL_MAX} numbers`]].map(([v, l]) => {
        const r = el("input", { type: "radio", name: "c-mode", value: v, id: `c-mode-${v}`, checked: s.mode === v });
        r.addEventListener("change", () => { s.mode = v; s.parsed = null; render(); });
        return el("label", { class: "inline", for: `c-mode-${v}` }, r, l);
      }));
    body.append(modes);
    const progress = el("progress", { id: "c-progress", max: "1", value: "0", hidden: true, "aria-label": "Upload" });
    if (s.mode === "csv") {
      const file = withId(el("input", { type: "file", accept: ".csv,text/csv" }), "c-file");
      file.addEventListener("change", () => { s.file = file.files[0] || null; s.parsed = null; renderParsed(); });
      body.append(field("recipients", "CSV file", file, "One recipient per line: the phone number with its country code (16001234567, +1(600)1234567…), then each variable's value. A file with errors must be fixed and uploaded again."));
      if (s.file) body.append(el("p", { class: "hint" }, `Chosen: ${s.file.name}`));
    } else {
      const text = withId(textarea({ rows: 6, placeholder: "12223334444, Jane\n12223334445, Bob" }), "c-manual");
      text.value = s.manual;
      text.addEventListener("input", () => { s.manual = text.value; s.parsed = null; });
      body.append(field("manualRecipients", "Recipients", text, `One per line, at most ${MANUAL_MAX}: the number, then the variable values separated by commas.`));
    }
    const parse = el("button", { type: "button", id: "parse" }, "Parse");
    const result = el("div", { id: "c-parsed" });
    body.append(el("div", { class: "actions" }, parse, progress), result);
    const next = el("button", { type: "button", id: "next" }, "Next");
    buttons(el("button", { type: "button", class: "ghost", id: "back" }, "Back"), next);
    body.querySelector("#back").addEventListener("click", () => go(0));
    next.addEventListener("click", () => go(2));

    function renderParsed() {
      clear(result);
      next.disabled = !(s.parsed && s.parsed.accepted > 0);
      if (!s.parsed) return;
      const p = s.parsed;
      result.append(el("p", { role: "status", id: "c-parse-summary" },
        `${p.accepted} recipient${p.accepted === 1 ? "" : "s"} accepted, ${p.failed} with errors.`));
      const rows = [];
      for (const r of p.recipients || []) rows.push({ line: r.line || r.index + 1, who: contact(r.consumerContent), message: r.message,
        detail: r.segments ? `${r.segments} segment${r.segments === 1 ? "" : "s"}, ${r.encoding}` : r.status, ok: true });
      for (const f of p.failedConsumers || []) rows.push({ line: f.line || f.index + 1, who: f.phone || contact(f.consumerContent), message: "", detail: f.errorMessage, ok: false });
      rows.sort((a, b) => a.line - b.line);
      result.append(el("table", { class: "parsed" },
        el("caption", {}, "Each recipient's message as it will be sent"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Line"), el("th", { scope: "col" }, "Recipient"),
          el("th", { scope: "col" }, "Message"), el("th", { scope: "col" }, "Result"))),
        el("tbody", {}, ...rows.map((r) => el("tr", { class: r.ok ? "" : "bad", "data-line": r.line },
          el("td", { class: "num" }, String(r.line)), el("td", {}, r.who), el("td", { class: "msg" }, r.message),
          el("td", {}, r.ok ? r.detail : el("strong", { class: "error" }, r.detail)))))));
      if (p.truncated) result.append(el("p", { class: "hint" }, "Only the first rows are shown."));
    }
    renderParsed();

    parse.addEventListener("click", async () => {
      errorBox.textContent = "";
      const found = {};
      const lines = s.manual.split("\n").filter((l) => l.trim());
      if (s.mode === "csv" && !s.file) found.recipients = "Choose a CSV file first.";
      else if (s.mode === "manual" && !lines.length) found.manualRecipients = "Type at least one recipient.";
      else if (s.mode === "manual" && lines.length > MANUAL_MAX) found.manualRecipients = `${lines.length} lines: at most ${MANUAL_MAX} may be typed; upload a CSV file for more.`;
      // A parse checks the whole campaign again: every earlier error goes.
      if (!check(Object.keys(errors), found)) return;
      parse.disabled = true;
      result.setAttribute("aria-busy", "true");
      progress.hidden = s.mode !== "csv";
      progress.value = 0;
      try {
        s.parsed = await send("/campaign/parse", true, (f) => { progress.value = f; });
        progress.value = 1;
      } catch (err) {
        s.parsed = null;
        apiError(err);
      } finally {
        parse.disabled = false;
        result.removeAttribute("aria-busy");
        renderParsed();
      }
    });
  }

  function schedule() {
    const start = withId(input({ type: "time", value: s.start }), "c-window-start");
    const end = withId(input({ type: "time", value: s.end }), "c-window-end");
    start.addEventListener("change", () => { s.start = start.value; });
    end.addEventListener("change", () => { s.end = end.value; });
    const dayBoxes = group("deliveryWindow.days", "Days",
      ...days.map((d) => {
        const box = el("input", { type: "checkbox", id: `c-day-${d}`, value: d, checked: s.days.includes(d) });
        box.addEventListener("change", () => { s.days = days.filter((x) => document.getElementById(`c-day-${x}`).checked); });
        return el("label", { class: "inline", for: `c-day-${d}` }, box, d.slice(0, 1) + d.slice(1).toLowerCase());
      }));
    dayBoxes.id = "c-days";
    dayBoxes.classList.add("days");
    const startTime = withId(input({ type: "datetime-local", value: localInput(s.startTime) }), "c-start");
    const endTime = withId(input({ type: "datetime-local", value: localInput(s.endTime) }), "c-end");
    startTime.addEventListener("change", () => { s.startTime = startTime.value; });
    endTime.addEventListener("change", () => { s.endTime = endTime.value; });
    body.append(
      group("deliveryWindow", "Delivery window",
        el("p", { class: "hint" }, "Recipients get the message inside this window in their own time zone (from the number's country and area code); outside it, it waits until the window opens."),
        el("div", { class: "row" }, field("deliveryWindow.start", "Window opens", start), field("deliveryWindow.end", "Window closes", end)),
        dayBoxes),
      el("div", { class: "row" }, field("startTime", "Start (optional)", startTime, "Send nothing before."), field("endTime", "End (optional)", endTime, "Recipients not reached by then expire.")));
    const update = el("button", { type: "button", id: "preview-times", class: "ghost" }, "Preview delivery times");
    const times = el("div", { id: "c-times" });
    body.append(el("div", { class: "actions" }, update), times);
    const showTimes = () => {
      clear(times);
      if (!s.parsed) return;
      const groups = new Map();
      for (const r of s.parsed.recipients || []) {
        const k = r.status === "SKIPPED" ? "skipped" : r.scheduledFor || "now";
        if (!groups.has(k)) groups.set(k, []);
        groups.get(k).push(contact(r.consumerContent));
      }
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      times.append(el("table", { class: "times" },
        el("caption", {}, `When the recipients will receive it (times in your zone, ${zone})`),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Delivered"), el("th", { scope: "col" }, "Their local time"), el("th", { scope: "col" }, "Recipients"))),
        el("tbody", {}, ...[...groups].map(([k, who]) => el("tr", {},
          el("td", {}, k === "now" ? "At once" : k === "skipped" ? "Never (opted out)" : when(k)),
          el("td", {}, k === "now" || k === "skipped" ? "—" : `inside ${s.start}–${s.end}`),
          el("td", {}, `${who.length}: ${who.slice(0, 5).join(", ")}${who.length > 5 ? "…" : ""}`))))));
    };
    update.addEventListener("click", async () => {
      check(Object.keys(errors), {});
      errorBox.textContent = "";
      times.setAttribute("aria-busy", "true");
      try { s.parsed = await send("/campaign/parse", true); showTimes(); } catch (err) { apiError(err); } finally { times.removeAttribute("aria-busy"); }
    });
    showTimes();
    buttons(el("button", { type: "button", class: "ghost", id: "back" }, "Back"), el("button", { type: "button", id: "next" }, "Next"));
    body.querySelector("#back").addEventListener("click", () => go(1));
    body.querySelector("#next").addEventListener("click", () => {
      if (!check(["deliveryWindow.days"], s.days.length ? {} : { "deliveryWindow.days": "Pick at least one day." })) return;
      go(3);
    });
  }

  function launch() {
    const lookbackName = (lookbacks.find(([m]) => m === Number(s.lookback)) || [0, `${s.lookback} minutes`])[1];
    const channelName = { sms: "SMS", whatsapp: "WhatsApp", prioritized: "Prioritized: WhatsApp, then SMS" }[s.channel];
    const tmpl = tmplList.find((t) => t.id === s.templateId);
    const rows = [
      ["Name", s.name], ["Channel", channelName], ["Sending number", s.number], ["Skill", s.skill], ["Lookback", lookbackName],
      ["Message", s.channel === "sms" ? s.message : tmpl ? `${tmpl.name}: ${tmpl.body || ""}` : s.templateId],
      ["Opt-out text", s.channel === "whatsapp" ? "— (WhatsApp: the consumer blocks)" : optOut],
      ["Recipients", s.parsed ? `${s.parsed.accepted} accepted, ${s.parsed.failed} with errors (${s.mode === "csv" ? s.file.name : "typed"})` : "—"],
      ["Window", `${s.start}–${s.end}, ${s.days.length === 7 ? "every day" : s.days.join(", ")}, in each recipient's time zone`],
      ["Start", s.startTime ? when(s.startTime) : "At once"], ["End", s.endTime ? when(s.endTime) : "—"],
    ];
    body.append(el("dl", { class: "summary" }, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
    const consent = el("input", { type: "checkbox", id: "c-consent", checked: s.consent });
    consent.addEventListener("change", () => { s.consent = consent.checked; publish.disabled = !s.consent; });
    body.append(choice("consent", "I am responsible for collecting opt-in consent from these consumers before reaching out, and this campaign abides by the TCPA and the GDPR.",
      consent, "consent"));
    const publish = el("button", { type: "button", id: "publish", disabled: !s.consent }, "Publish");
    buttons(el("button", { type: "button", class: "ghost", id: "back" }, "Back"), publish);
    body.querySelector("#back").addEventListener("click", () => go(2));
    const yes = el("button", { type: "button", id: "yes-send" }, "Yes, send");
    const no = el("button", { type: "button", class: "ghost", id: "cancel-send" }, "Cancel");
    const dialog = el("dialog", { id: "confirm", "aria-labelledby": "confirm-title" },
      el("h2", { id: "confirm-title" }, "Send this campaign?"),
      el("p", {}, `${s.parsed ? s.parsed.accepted : 0} recipients will be messaged from ${s.number}.`),
      el("div", { class: "actions" }, no, yes));
    body.append(dialog);
    publish.addEventListener("click", () => dialog.showModal());
    no.addEventListener("click", () => dialog.close());
    const key = crypto.randomUUID();
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      errorBox.textContent = "";
      try {
        const out = await send("/campaign", true, null, key);
        dialog.close();
        clear(body);
        const failed = (out.failedConsumers || []).length;
        if (!out.proactiveCampaignId) {
          body.append(el("p", { class: "error", role: "alert" }, `Nothing was created: no recipient was accepted (${failed} with errors).`));
          return;
        }
        body.append(el("h2", { id: "step-title", tabindex: "-1" }, "Campaign created"),
          el("p", { role: "status", id: "created" }, `“${s.name}” is sending to ${(out.acceptedConsumers || []).length} recipients${failed ? `; ${failed} were refused` : ""}.`),
          el("p", { class: "actions" },
            el("a", { class: "button", id: "open-campaign", href: `#campaign/${encodeURIComponent(out.proactiveCampaignId)}` }, "Open the campaign"),
            el("a", { class: "button ghost", href: "#" }, "Back to campaigns")));
        clear(nav);
        document.getElementById("step-title").focus();
      } catch (err) {
        dialog.close();
        yes.disabled = false;
        apiError(err);
      }
    });
  }

  render();
}

function contact(cc) {
  if (!cc) return "";
  return cc.sms || cc.wa || cc.inapp || "";
}
