// A hold keeps the chosen seat while the form is filled in (POST /v1/holds). The countdown is
// visible, announced politely two minutes before the end, and can be extended once (WCAG 2.2.1).
// A hold is a convenience: if none can be taken, booking still works while the time is free.
import { api, headers, problemOf, type Hold, type Problem } from "../api";
import { button, h } from "../dom";
import { formatTime, t, zoneName } from "../i18n";
import { state } from "../state";

let timer: number | undefined;

/** Holds the slot; answers the problem only when the time is gone (its alternatives come with it). */
export async function takeHold(slotId: string): Promise<Problem | null> {
  await giveBack();
  const { data, error, response } = await api().POST("/v1/holds", { body: { slot_id: slotId }, headers: headers() });
  if (data) { state.hold = data; return null; }
  const problem = problemOf(error, response);
  return problem.code === "slot_unavailable" ? problem : null;
}

export async function giveBack(): Promise<void> {
  const hold = state.hold;
  state.hold = undefined;
  if (hold && hold.status === "active") {
    await api().DELETE("/v1/holds/{hold_id}", { params: { path: { hold_id: hold.hold_id } }, headers: headers() });
  }
}

/** The countdown box shown on the details and review pages. Updated in place, so its polite
 *  live region stays the same element and announces the warnings. */
export function holdBox(): HTMLElement | null {
  if (!state.hold) return null;
  window.clearInterval(timer);
  let ends = 0;
  let warned = false;
  const until = h("span", {});
  const remaining = h("strong", { id: "hold-remaining" });
  const warning = h("p", { class: "usa-alert__text", "aria-live": "polite", id: "hold-warning" });
  const extend = button(t("Keep this time for 10 more minutes"), async () => {
    const hold = state.hold;
    if (!hold) return;
    const { data } = await api().POST("/v1/holds/{hold_id}/extend", { params: { path: { hold_id: hold.hold_id } }, headers: headers() });
    if (!data) return;
    state.hold = data;
    show(data);
    tick();  // the new time at once, not at the next second's tick
    box.focus();
    warning.textContent = t("We are keeping this time for you for 10 more minutes.");
  }, "usa-button--outline");
  const box = h("div", { class: "usa-alert usa-alert--info usa-alert--slim hold-box", id: "hold-box", tabindex: "-1" },
    h("div", { class: "usa-alert__body" },
      h("p", { class: "usa-alert__text" }, until, " ", t("Time left:"), " ", remaining), warning, extend));

  function show(hold: Hold) {
    ends = Date.now() + hold.expires_in_seconds * 1000;
    warned = false;
    until.textContent = t("We are keeping this time for you until {time} ({zone}).", {
      time: formatTime(hold.expires_at, hold.timezone), zone: zoneName(hold.timezone, hold.expires_at) });
    extend.hidden = !hold.extendable;
  }
  const tick = () => {
    const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    remaining.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left <= 120 && !warned) {
      warned = true;
      warning.textContent = t("Less than 2 minutes left to keep this time.");
    }
    if (left === 0) {
      window.clearInterval(timer);
      if (state.hold) state.hold = { ...state.hold, status: "expired" };
      warning.textContent = t("We are no longer keeping this time. You can still book it if it is free.");
      extend.hidden = true;
    }
  };
  show(state.hold);
  tick();
  timer = window.setInterval(() => { if (!box.isConnected) window.clearInterval(timer); else tick(); }, 1000);
  return box;
}

export type { Hold };
