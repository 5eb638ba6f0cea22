// Choosing a day and a time at one office, in the office's own time zone (named on the page).
import { api, headers, problemOf, type Office, type Slot } from "../api";
import { h, submit } from "../dom";
import { formatDay, formatTime, t, zoneName } from "../i18n";

export async function loadSlots(office: Office): Promise<Slot[] | string> {
  const { data, error, response } = await api().GET("/v1/offices/{office_id}/slots", {
    params: { path: { office_id: office.id } }, headers: headers(),
  });
  if (!data) return problemOf(error, response).title || t("Something went wrong. Please try again.");
  return data.slots;
}

/** Day buttons, then the chosen day's times as radio buttons, then `onChoose(slot)`. */
export function slotPicker(office: Office, slots: Slot[], action: string, onChoose: (slot: Slot) => void): HTMLElement {
  const days = new Map<string, Slot[]>();
  for (const slot of slots) {
    const day = slot.start.slice(0, 10); // start carries the office's offset: this is its local date
    days.set(day, [...(days.get(day) || []), slot]);
  }
  const times = h("div", { id: "times" });
  const zone = zoneName(office.timezone, slots[0]?.start);
  const dayButtons = h("ul", { class: "usa-button-group day-list" },
    [...days.entries()].map(([day, daySlots]) => h("li", { class: "usa-button-group__item" },
      h("button", { type: "button", class: "usa-button usa-button--outline", "aria-pressed": "false",
        "data-day": day, onclick: (e: Event) => showDay(e.currentTarget as HTMLButtonElement, day, daySlots) },
        `${formatDay(day)} (${t("{count} times", { count: daySlots.length })})`))));

  function showDay(pressed: HTMLButtonElement, day: string, daySlots: Slot[]) {
    dayButtons.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === pressed)));
    const form = h("form", { class: "usa-form usa-form--large", novalidate: true },
      h("fieldset", { class: "usa-fieldset", id: "time-fieldset", tabindex: "-1" },
        h("legend", { class: "usa-legend usa-legend--large" }, t("Times on {day} ({zone})", { day: formatDay(day), zone })),
        h("div", { class: "time-grid" }, daySlots.map((slot, i) => h("div", { class: "usa-radio" },
          h("input", { class: "usa-radio__input usa-radio__input--tile", type: "radio", name: "slot", id: `slot-${i}`,
            value: slot.slot_id, required: true, checked: i === 0 }),
          h("label", { class: "usa-radio__label", for: `slot-${i}` }, formatTime(slot.start, office.timezone))))),
      ),
      submit(action));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const chosen = new FormData(form).get("slot");
      const slot = daySlots.find((s) => s.slot_id === chosen);
      if (slot) onChoose(slot);
    });
    times.replaceChildren(form);
    (form.querySelector("#time-fieldset") as HTMLElement).focus();
  }

  return h("div", {},
    h("p", { class: "usa-intro" }, t("All times are the office's local time: {zone} ({tz}).", { zone, tz: office.timezone })),
    h("h2", {}, t("Choose a day")),
    dayButtons,
    times);
}

