// The account's channels in settings: each channel's provider, its
// credentials and its sending numbers, listed and edited with PUT
// …/channels/{channel}. Secrets are write-only: the form never shows one,
// saved or typed; a secret field left empty keeps the saved secret (the
// API keeps a secret sent back in the redacted form it answered).
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, choice, group, formError, clearErrors, showError, input, textarea, select, table, when,
} from "/assets/form.js";

export const channelLabels = { sms: "SMS", whatsapp: "WhatsApp", inapp: "In-app" };

// providers are the providers of each channel (providers.ForChannel), and
// credentialFields each one's credential block: [name, label, secret, hint].
export const providers = {
  sms: [["twilio", "Twilio"], ["cm", "CM.com"], ["sandbox", "Sandbox (sends nothing)"]],
  whatsapp: [["whatsapp", "WhatsApp Cloud API"], ["sandbox", "Sandbox (sends nothing)"]],
  inapp: [["fcm", "Firebase Cloud Messaging"], ["sandbox", "Sandbox (sends nothing)"]],
};
export const credentialFields = {
  twilio: [
    ["accountSid", "Account SID", false, "AC followed by 32 hex digits."],
    ["authToken", "Auth token", true, "Or an API key below."],
    ["apiKeySid", "API key SID", false, "SK followed by 32 hex digits; optional."],
    ["apiKeySecret", "API key secret", true, "With the API key SID."],
    ["messagingServiceSid", "Messaging Service SID", false, "MG…; sends numbers no sender maps. Optional."],
  ],
  cm: [
    ["productToken", "Product token", true, "The CM.com product token (a GUID)."],
    ["webhookToken", "Webhook token", true, "16 to 256 letters, digits, - . _ or ~: the token of the account's CM webhook URL."],
  ],
  whatsapp: [
    ["accessToken", "Access token", true, "A system-user token with whatsapp_business_messaging."],
    ["appSecret", "App secret", true, "Checks the signature of Meta's webhooks."],
    ["verifyToken", "Verify token", true, "Answers Meta's webhook verification."],
    ["apiVersion", "Graph API version", false, "Such as v26.0; Parley's default when empty."],
  ],
  fcm: [["serviceAccountJson", "Service account key (JSON)", true, "The Google service account's JSON key file."]],
  sandbox: [],
};

// channelsSection lists the account's channels and, for roles that may
// change them, edits one.
export function channelsSection(session, chans) {
  const section = el("section", { class: "card", "aria-labelledby": "numbers-title" },
    el("h2", { id: "numbers-title" }, "Channels and sending numbers"));
  if (chans instanceof Error) {
    section.append(el("p", { class: "error" }, `The channels could not be loaded: ${chans.message}`));
    return section;
  }
  const list = el("div", {});
  const edit = el("div", {});
  section.append(list, edit);
  const show = (saved) => {
    clear(list);
    if (!chans.length) {
      list.append(el("p", { class: "empty" }, "No channel provider is configured: this server sends through its default gateways."));
    } else {
      const rows = chans.map((c) => el("tr", {},
        el("td", { class: "title" }, channelLabels[c.channel] || c.channel),
        el("td", { "data-label": "Provider" }, c.provider),
        el("td", { "data-label": "Sending numbers" }, (c.senders || []).map((s) =>
          `${s.outboundNumber || "(any other number)"} → ${s.id}${s.default ? " (default)" : ""}`).join(", ") || "—"),
        el("td", { "data-label": "Updated" }, when(c.updatedAt))));
      list.append(table("Channels", ["Channel", "Provider", "Sending numbers", "Updated"], rows, "stack"));
    }
    if (saved) list.append(el("p", { class: "notice ok", role: "status" }, `${channelLabels[saved.channel]} saved (version ${saved.version}). Secrets are kept and never shown.`));
  };
  show();
  if (canWrite(session)) {
    edit.append(channelForm(session, chans, (saved) => {
      const i = chans.findIndex((c) => c.channel === saved.channel);
      if (i >= 0) chans[i] = saved; else chans.push(saved);
      show(saved);
    }));
  }
  return section;
}

// channelForm edits one channel; saved gets the API's answer.
function channelForm(session, chans, saved) {
  const channel = select(Object.entries(channelLabels), "sms");
  const provider = select([], "");
  const baseUrl = input({ type: "url", inputmode: "url", placeholder: "The provider's own host" });
  const creds = el("div", { class: "grid2" });
  const credsGroup = group("", "Credentials", creds);
  const senders = el("div", { class: "buttons" });
  const addSender = el("button", { type: "button", class: "ghost" }, "Add sender");
  const sendersGroup = group("senders", "Sending numbers",
    el("p", { class: "hint" }, "Maps a campaign's sending number to the provider's sender: an E.164 number, an alphanumeric sender id, a Messaging Service SID or a WhatsApp phone-number id. The default sender serves the numbers no other maps, and may leave its sending number empty."),
    senders, el("div", { class: "actions" }, addSender));
  const error = formError();
  const save = el("button", { type: "submit" }, "Save channel");
  const f = el("form", { class: "form channel-form", novalidate: true, "aria-label": "Edit a channel" },
    el("h3", {}, "Change a channel"),
    el("div", { class: "row" }, field("channel", "Channel", channel), field("provider", "Provider", provider)),
    credsGroup, sendersGroup,
    field("baseUrl", "API host (optional)", baseUrl, "Another https host of the provider, such as a regional endpoint."),
    error, el("div", { class: "actions" }, save));

  let secretInputs = {}; // name → [input, the saved redacted value]
  let rows = [];

  const current = () => chans.find((c) => c.channel === channel.value);
  const renderSenders = (list) => {
    clear(senders);
    rows = list.map((s, i) => senderRow(s, i));
    senders.append(...rows.map((r) => r.node));
    if (!rows.length) senders.append(el("p", { class: "empty" }, "No sender."));
  };
  const senderRow = (s, i) => {
    const number = input({ inputmode: "tel", value: s.outboundNumber || "", placeholder: "+12025550100" });
    const id = input({ value: s.id || "" });
    const def = el("input", { type: "checkbox", id: `sender-${i}-default` });
    def.checked = Boolean(s.default);
    const remove = el("button", { type: "button", class: "ghost danger" }, "Remove");
    remove.setAttribute("aria-label", `Remove sender ${i + 1}`);
    remove.addEventListener("click", () => {
      const list = read();
      list.splice(i, 1);
      renderSenders(list);
      (senders.querySelector("input") || addSender).focus();
    });
    const node = el("div", { class: "button-row" },
      field(`senders[${i}].outboundNumber`, `Sending number ${i + 1}`, number),
      field(`senders[${i}].id`, `Provider's sender ${i + 1}`, id),
      choice(`senders[${i}].default`, "Default", def),
      el("div", { class: "field" }, remove));
    return { node, read: () => ({ outboundNumber: number.value.trim(), id: id.value.trim(), default: def.checked }) };
  };
  const read = () => rows.map((r) => r.read());
  addSender.addEventListener("click", () => {
    const list = read();
    list.push({});
    renderSenders(list);
    senders.querySelector(`[data-field="senders[${list.length - 1}].outboundNumber"]`).focus();
  });

  const renderCreds = () => {
    clear(creds);
    secretInputs = {};
    const p = provider.value;
    credsGroup.dataset.field = p;
    const c = current();
    const block = c && c.provider === p ? c[p] || {} : {};
    const fields = credentialFields[p] || [];
    if (!fields.length) creds.append(el("p", { class: "empty" }, "The sandbox takes no credentials."));
    for (const [name, label, secret, hint] of fields) {
      const control = name === "serviceAccountJson" ? textarea({ rows: 3, autocomplete: "off", spellcheck: "false" })
        : input(secret ? { type: "password", autocomplete: "new-password" } : { value: block[name] || "" });
      const saved = secret && block[name] ? block[name] : "";
      if (saved) control.placeholder = "Saved; type a new one to replace it";
      if (secret) secretInputs[name] = [control, saved];
      creds.append(field(`${p}.${name}`, label, control, saved ? `A value is saved and never shown. ${hint}` : hint));
    }
    if (p === "fcm" && block.projectId) creds.append(el("p", { class: "hint" }, `Saved key: project ${block.projectId}, ${block.clientEmail || ""}`));
  };
  const renderChannel = () => {
    const c = current();
    clear(provider);
    for (const [v, label] of providers[channel.value]) provider.append(el("option", { value: v }, label));
    provider.value = c ? c.provider : providers[channel.value][0][0];
    baseUrl.value = c ? c.baseUrl || "" : "";
    renderSenders(c ? [...(c.senders || [])] : []);
    renderCreds();
  };
  channel.addEventListener("change", () => { clearErrors(f); renderChannel(); });
  provider.addEventListener("change", () => { clearErrors(f); renderCreds(); });
  renderChannel();

  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    const p = provider.value;
    const body = { provider: p, baseUrl: baseUrl.value.trim(), senders: read().filter((s) => s.outboundNumber || s.id) };
    for (const s of body.senders) if (!s.outboundNumber) delete s.outboundNumber;
    const fields = credentialFields[p] || [];
    if (fields.length) {
      const block = {};
      for (const [name, , secret] of fields) {
        const control = f.querySelector(`[data-field="${CSS.escape(`${p}.${name}`)}"]`);
        let v = secret && control.tagName !== "TEXTAREA" ? control.value : control.value.trim();
        if (secret && !v) v = secretInputs[name][1]; // the redacted form keeps the saved secret
        if (v) block[name] = v;
      }
      body[p] = block;
    }
    save.disabled = true;
    try {
      const out = await call("PUT", accountPath(session.account, `/channels/${encodeURIComponent(channel.value)}`), body);
      saved(out);
      renderChannel();
    } catch (err) {
      showError(f, err);
    } finally {
      save.disabled = false;
    }
  });
  return f;
}
