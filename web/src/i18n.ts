// UI text comes from the project's catalogs (chalicelib/i18n/locales/<lang>/LC_MESSAGES/messages.po):
// build.mjs finds every t(<string literal>) call in src/, takes its translations from each catalog and writes
// dist/i18n/<lang>.json. The msgid is the English text; {name} placeholders as in the catalogs.
export interface Language { code: string; name: string; dir: "ltr" | "rtl" }

let messages: Record<string, string> = {};
export let lang = "en";
export let languages: Language[] = [];

export function t(msgid: string, values: Record<string, string | number> = {}): string {
  const text = messages[msgid] || msgid;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export async function loadLanguages(): Promise<void> {
  languages = await (await fetch("i18n/languages.json")).json();
}

export async function setLanguage(code: string): Promise<void> {
  const chosen = languages.find((l) => l.code === code) || languages[0];
  messages = await (await fetch(`i18n/${chosen.code}.json`)).json();
  lang = chosen.code;
  document.documentElement.lang = chosen.code;
  document.documentElement.dir = chosen.dir;
  try { localStorage.setItem("infopass-language", chosen.code); } catch { /* private mode */ }
}

export function storedLanguage(): string {
  try { return localStorage.getItem("infopass-language") || ""; } catch { return ""; }
}

// Times are shown in the office's zone, named: the API gives ISO 8601 with the office offset.
export function zoneName(timeZone: string, at: string = new Date().toISOString()): string {
  const part = new Intl.DateTimeFormat(lang, { timeZone, timeZoneName: "long" })
    .formatToParts(new Date(at)).find((p) => p.type === "timeZoneName");
  return part ? part.value : timeZone;
}

export function formatDay(isoDate: string): string {
  // A calendar date (YYYY-MM-DD) names the same day everywhere: format it at noon UTC.
  return new Intl.DateTimeFormat(lang, { weekday: "long", month: "long", day: "numeric", timeZone: "UTC" })
    .format(new Date(`${isoDate.slice(0, 10)}T12:00:00Z`));
}

export function formatTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", timeZone }).format(new Date(iso));
}

export function formatDateTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, {
    weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "numeric", minute: "2-digit",
    timeZone, timeZoneName: "long",
  }).format(new Date(iso));
}
