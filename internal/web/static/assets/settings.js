// Account settings (seeds 002 and 004): the texts consumers get, routing
// skills, Connect to Messaging's channels in priority order and its device
// check, sending limits and the connector; the account's channels, their
// providers, credentials and sending numbers (channels.js).
import { call, accountPath } from "/assets/api.js";
import { el, clear } from "/assets/dom.js";
import { channelsSection, channelLabels } from "/assets/channels.js";
import {
  canWrite, field, choice, group, formError, clearErrors, showError, readOnly, input, textarea,
  when, loadingLine, page,
} from "/assets/form.js";

export async function settings(main, session) {
  page(main, session, "Settings");
  const status = loadingLine(main, "Loading settings…");
  const acct = (p) => accountPath(session.account, p);
  let account;
  let chans;
  try {
    [account, chans] = await Promise.all([
      call("GET", acct("/settings")),
      call("GET", acct("/channels")).catch((err) => err),
    ]);
  } catch (err) {
    status.fail("The settings could not be loaded", err);
    return;
  }
  status.done();
  const f = settingsForm(session, account);
  main.append(f, channelsSection(session, chans),
    el("section", { class: "card", "aria-labelledby": "subs-title" }, el("h2", { id: "subs-title" }, "Event subscriptions"),
      el("p", {}, "Where the account's events are pushed: ", el("a", { href: "#events" }, "Event subscriptions"), ".")));
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
    choice("deviceCheck", "Check that a number is a mobile before inviting it", deviceCheck),
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
