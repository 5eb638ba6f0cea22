// The web app's build, offline from node_modules: the typed client from ../openapi.json, a type
// check, the UI text of every language from the project's catalogs, and one minified JS and CSS
// bundle (esbuild). Output: dist/. `node build.mjs --no-check` skips the type check.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const dist = join(here, "dist");
const bin = (name) => join(here, "node_modules", ".bin", name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: here, stdio: "inherit" });

// 1. The typed client.
run(bin("openapi-typescript"), ["../openapi.json", "-o", "src/api/schema.d.ts", "--default-non-nullable", "false", "--silent"]);
// 2. Types.
if (!process.argv.includes("--no-check")) run(bin("tsc"), ["--noEmit", "-p", "."]);

// 3. Translations. A language is a catalog: chalicelib/i18n/locales/<code>/LC_MESSAGES/messages.po.
export const LANGUAGE_NAME = "English (this language's name, written in this language)";
export const DIRECTION = "ltr (this language's writing direction: ltr or rtl)";

function parsePo(text) {
  const entries = new Map();
  let msgid = null, msgstr = null, target = null, fuzzy = false;
  const unquote = (s) => JSON.parse(s.replace(/\t/g, "\\t"));
  const flush = () => { if (msgid && msgstr !== null && !fuzzy) entries.set(msgid, msgstr); msgid = msgstr = target = null; fuzzy = false; };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("#,") && line.includes("fuzzy")) fuzzy = true;
    if (line.startsWith("msgid ")) { if (msgid !== null) flush(); msgid = unquote(line.slice(6)); target = "id"; }
    else if (line.startsWith("msgstr ")) { msgstr = unquote(line.slice(7)); target = "str"; }
    else if (line.startsWith('"') && target) { if (target === "id") msgid += unquote(line); else msgstr += unquote(line); }
    else if (!line.trim()) { if (msgid !== null) flush(); }
  }
  if (msgid !== null) flush();
  return entries;
}

function sourceStrings() {
  const found = new Set([LANGUAGE_NAME, DIRECTION]);
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).forEach((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
      for (const m of readFileSync(path, "utf8").matchAll(/\bt\(\s*"((?:[^"\\]|\\.)*)"/g)) found.add(JSON.parse(`"${m[1]}"`));
    }
  });
  walk(join(here, "src"));
  return found;
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "i18n"), { recursive: true });
const locales = join(root, "chalicelib", "i18n", "locales");
const wanted = sourceStrings();
const languages = [];
const missing = [];
for (const code of readdirSync(locales).sort((a, b) => (a === "en" ? -1 : b === "en" ? 1 : a.localeCompare(b)))) {
  const catalog = parsePo(readFileSync(join(locales, code, "LC_MESSAGES", "messages.po"), "utf8"));
  const out = {};
  for (const msgid of wanted) {
    if (catalog.get(msgid)) out[msgid] = catalog.get(msgid);
    else missing.push(`${code}: ${msgid}`);
  }
  languages.push({ code, name: out[LANGUAGE_NAME] || code, dir: out[DIRECTION] === "rtl" ? "rtl" : "ltr" });
  writeFileSync(join(dist, "i18n", `${code}.json`), JSON.stringify(out));
}
writeFileSync(join(dist, "i18n", "languages.json"), JSON.stringify(languages));
if (missing.length) {
  console.error(`UI text missing from the catalogs (add it to every messages.po):\n  ${missing.slice(0, 40).join("\n  ")}` +
    (missing.length > 40 ? `\n  … and ${missing.length - 40} more` : ""));
  if (!process.argv.includes("--allow-missing")) process.exit(1);
}

// 4. Bundles (fonts and images the CSS names are copied beside it with hashed names).
const result = await esbuild.build({
  entryPoints: { app: join(here, "src", "main.ts"), style: join(here, "src", "app.css") },
  bundle: true, minify: true, format: "iife", target: ["chrome110", "firefox110", "safari16"],
  outdir: dist, entryNames: "[name]-[hash]", assetNames: "assets/[name]-[hash]", metafile: true,
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file", ".svg": "file", ".png": "file", ".gif": "file", ".jpg": "file", ".webp": "file" },
  logLevel: "warning", legalComments: "linked",
});
const outputs = Object.keys(result.metafile.outputs).map((p) => p.slice(p.lastIndexOf("dist/") + 5));
const js = outputs.find((p) => /^app-.*\.js$/.test(p));
const css = outputs.find((p) => /^style-.*\.css$/.test(p));

// 5. The page and its configuration (the API's base URL; `make run` serves its own).
writeFileSync(join(dist, "index.html"), readFileSync(join(here, "src", "index.html"), "utf8").replace("{{js}}", js).replace("{{css}}", css));
writeFileSync(join(dist, "config.json"), JSON.stringify({ api: process.env.INFOPASS_API_URL || "" }));
writeFileSync(join(dist, ".built"), createHash("sha256").update(js + css).digest("hex"));
console.log(`web/dist: ${js}, ${css}, ${languages.length} languages`);
