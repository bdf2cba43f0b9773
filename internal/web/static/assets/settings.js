// Account settings (seeds 002 and 004): the texts consumers get, routing
// skills, Connect to Messaging's channels in priority order and its device
// check, sending limits and the connector; the sending numbers of the
// account's channels and its event subscriptions, as the API shows them.
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import {
  canWrite, field, group, formError, clearErrors, showError, readOnly, input, textarea,
  table, when, loadingLine, page,
} from "/assets/form.js";

const channelLabels = { sms: "SMS", whatsapp: "WhatsApp", inapp: "In-app" };

export async function settings(main, session) {
  page(main, session, "Settings");
  const status = loadingLine(main, "Loading settings…");
  const acct = (p) => accountPath(session.account, p);
  let account;
  let chans;
  let subs;
  try {
    [account, chans, subs] = await Promise.all([
      call("GET", acct("/settings")),
      call("GET", acct("/channels")).catch((err) => err),
      call("GET", acct("/event-subscriptions")).catch((err) => err),
    ]);
  } catch (err) {
    status.fail("The settings could not be loaded", err);
    return;
  }
  status.done();
  const f = settingsForm(session, account);
  main.append(f, numbers(chans), subscriptions(subs));
}

function settingsForm(session, account) {
  const text = (k, attrs = {}) => input({ value: account[k] || "", ...attrs });
  const optOut = text("optOutText");
  const help = text("helpText");
  const optOutConfirm = text("optOutConfirmText");
  const optInConfirm = text("optInConfirmText");
  const skill = text("defaultSkill");
  const skills = textarea({ rows: 4 });
  skills.value = (account.outboundSkills || []).join("\n");
  const country = text("defaultCountry", { maxlength: 2, placeholder: "US" });
  const limit = input({ type: "number", min: 0, value: account.dailyRecipientLimit || "", placeholder: "100000" });
  const connectorURL = text("connectorUrl", { inputmode: "url", placeholder: "https://" });
  const secret = input({ type: "password", autocomplete: "new-password", placeholder: account.connectorSecret ? "Kept unless you type a new one" : "" });
  const deviceCheck = el("input", { type: "checkbox", id: "device-check" });
  deviceCheck.checked = Boolean(account.deviceCheck);
  deviceCheck.dataset.field = "deviceCheck";

  // Channels in priority order; those the account never listed come last.
  let channels = [...(account.channels || [])];
  for (const c of ["sms", "whatsapp", "inapp"]) {
    if (!channels.some((x) => x.channel === c)) channels.push({ channel: c, enabled: false });
  }
  let channelsTouched = (account.channels || []).length > 0;
  const list = el("ol", { class: "priority" });
  const renderChannels = (focus) => {
    clear(list);
    channels.forEach((c, i) => {
      const box = el("input", { type: "checkbox", id: `channel-${c.channel}` });
      box.checked = c.enabled;
      box.dataset.field = `channels[${i}]`;
      box.addEventListener("change", () => { c.enabled = box.checked; channelsTouched = true; });
      const up = el("button", { type: "button", class: "ghost small", "aria-label": `Move ${channelLabels[c.channel]} up` }, "↑");
      const down = el("button", { type: "button", class: "ghost small", "aria-label": `Move ${channelLabels[c.channel]} down` }, "↓");
      up.disabled = i === 0;
      down.disabled = i === channels.length - 1;
      const move = (d, which) => () => {
        [channels[i], channels[i + d]] = [channels[i + d], channels[i]];
        channelsTouched = true;
        renderChannels(`${which}-${c.channel}`);
      };
      up.addEventListener("click", move(-1, "up"));
      down.addEventListener("click", move(1, "down"));
      up.id = `up-${c.channel}`;
      down.id = `down-${c.channel}`;
      list.append(el("li", { class: "field" }, el("label", { class: "choice", for: box.id }, box, channelLabels[c.channel] || c.channel),
        el("span", { class: "inline" }, up, down), el("p", { class: "error field-error" })));
    });
    if (focus) {
      const b = document.getElementById(focus);
      (b && !b.disabled ? b : list.querySelector("input")).focus();
    }
    if (!canWrite(session)) readOnly(list);
  };
  renderChannels();

  const error = formError();
  const save = el("button", { type: "submit" }, "Save settings");
  const f = el("form", { class: "form card settings", novalidate: true, "aria-label": "Account settings" },
    el("h2", {}, "Messages to consumers"),
    field("optOutText", "Opt-out text", optOut, "Added to every SMS a campaign sends; Parley's default when empty."),
    field("helpText", "Help reply", help, "Answers HELP."),
    field("optOutConfirmText", "Opt-out confirmation", optOutConfirm, "Answers STOP."),
    field("optInConfirmText", "Opt-in confirmation", optInConfirm, "Answers START."),
    el("h2", {}, "Routing"),
    field("outboundSkills", "Outbound skills", skills, "The skills replies may be routed to, one a line."),
    field("defaultSkill", "Default skill", skill, "One of the outbound skills, when any are listed."),
    el("h2", {}, "Connect to Messaging"),
    group("channels", "Channels, in priority order", el("p", { class: "hint" }, "Tick the channels invitations may use; the first eligible one is used."), list),
    el("div", { class: "field" }, el("label", { class: "choice", for: "device-check" }, deviceCheck,
      "Check that a number is a mobile before inviting it"), el("p", { class: "error field-error" })),
    el("h2", {}, "Sending"),
    field("defaultCountry", "Default country", country, "ISO code numbers without a country code are read in, such as US."),
    field("dailyRecipientLimit", "Daily recipients per channel", limit, "0 or empty for the default, 100,000."),
    el("h2", {}, "Connector"),
    field("connectorUrl", "Connector URL", connectorURL, "Where conversations are pushed."),
    field("connectorSecret", "Connector secret", secret, account.connectorSecret ? "A secret is set; it is never shown." : "The key pushes are signed with."),
    error,
    canWrite(session) ? el("div", { class: "actions" }, save) : null);

  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    const patch = {
      optOutText: optOut.value, helpText: help.value, optOutConfirmText: optOutConfirm.value,
      optInConfirmText: optInConfirm.value, defaultSkill: skill.value.trim(),
      outboundSkills: skills.value.split("\n").map((s) => s.trim()).filter(Boolean),
      defaultCountry: country.value.trim().toUpperCase(), dailyRecipientLimit: Number(limit.value || 0),
      connectorUrl: connectorURL.value.trim(), deviceCheck: deviceCheck.checked,
    };
    if (channelsTouched) patch.channels = channels.map((c) => ({ channel: c.channel, enabled: c.enabled }));
    if (secret.value) patch.connectorSecret = secret.value;
    save.disabled = true;
    try {
      const saved = await call("PATCH", accountPath(session.account, "/settings"), patch);
      secret.value = "";
      const done = el("p", { class: "notice ok", role: "status" }, `Saved at ${when(saved.updatedAt)}.`);
      f.querySelector(".notice.ok")?.remove();
      f.prepend(done);
    } catch (err) {
      showError(f, err);
    } finally {
      save.disabled = false;
    }
  });
  if (!canWrite(session)) readOnly(f);
  return f;
}

// numbers shows the account's channels: provider and sending numbers.
function numbers(chans) {
  const section = el("section", { class: "card", "aria-labelledby": "numbers-title" },
    el("h2", { id: "numbers-title" }, "Channels and sending numbers"));
  if (chans instanceof Error) {
    section.append(el("p", { class: "error" }, `The channels could not be loaded: ${chans.message}`));
    return section;
  }
  if (!chans.length) {
    section.append(el("p", { class: "empty" }, "No channel provider is configured: this server sends through its default gateways."));
    return section;
  }
  const rows = chans.map((c) => el("tr", {},
    el("td", { class: "title" }, channelLabels[c.channel] || c.channel),
    el("td", { "data-label": "Provider" }, c.provider),
    el("td", { "data-label": "Sending numbers" }, (c.senders || []).map((s) =>
      `${s.outboundNumber || "(any other number)"} → ${s.id}${s.default ? " (default)" : ""}`).join(", ") || "—"),
    el("td", { "data-label": "Updated" }, when(c.updatedAt))));
  section.append(table("Channels", ["Channel", "Provider", "Sending numbers", "Updated"], rows, "stack"),
    el("p", { class: "hint" }, "Providers and their credentials are set with PUT /api/v2/account/{accountId}/channels/{channel}."));
  return section;
}

// subscriptions lists the account's event subscriptions.
function subscriptions(subs) {
  const section = el("section", { class: "card", "aria-labelledby": "subs-title" },
    el("h2", { id: "subs-title" }, "Event subscriptions"));
  if (subs instanceof Error) {
    section.append(el("p", { class: "error" }, `The event subscriptions could not be loaded: ${subs.message}`));
    return section;
  }
  const items = Array.isArray(subs) ? subs : subs.subscriptions || [];
  if (!items.length) {
    section.append(el("p", { class: "empty" }, "No event subscriptions."));
    return section;
  }
  const rows = items.map((s) => el("tr", {},
    el("td", { class: "title" }, s.url),
    el("td", { "data-label": "Events" }, (s.eventTypes || []).join(", ")),
    el("td", { "data-label": "Enabled" }, s.enabled ? "Yes" : "No"),
    el("td", { "data-label": "Last delivery" }, s.lastDelivery ? `${s.lastDelivery.outcome}, ${when(s.lastDelivery.at)}` : "—")));
  section.append(table("Event subscriptions", ["URL", "Events", "Enabled", "Last delivery"], rows, "stack"));
  return section;
}
