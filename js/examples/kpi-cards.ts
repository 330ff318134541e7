// Example for dashboard developers: read kpis_v7.json, validate it, and render one card per KPI,
// handling every nullable KPI and showing why a KPI is null. readKpisV7 returns a KpisV7Reading:
// every field of the schema present, so a 7.0.0 payload's absent 7.1.0 fields (run_mode, the
// sample counts) arrive as null with `missing` in `nulls`, like any other null KPI.
//
//     node_modules/.bin/tsc -p tsconfig.json --noEmit false --outDir build
//     node build/examples/kpi-cards.js ../schemas/kpis_v7.schema.json ../logs/state/kpis_v7.json
//
// Exit codes: 0 read and rendered, 1 the file is not a valid kpis_v7 document, 2 usage or I/O.

import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { setUpAjvForKpisV7 } from "../ajv-setup.mjs";
import { KpisV7ReadError, readKpisV7 } from "../reader.mjs";
import type { KpisV7Reading } from "../reader.mjs";
import type { NullReason, Nulls } from "../types/kpis_v7.js";

/** A KPI's dotted path: exactly the keys `nulls` may have. */
export type KpiPath = keyof Nulls;
export type Status = "ok" | "warn" | "bad" | "none";
export interface Card {
  path: KpiPath;
  text: string;
  status: Status;
}

/** What a card says for a null KPI: the reason from `nulls`. */
function unavailable(kpis: KpisV7Reading, path: KpiPath): Omit<Card, "path"> {
  const reason: NullReason | undefined = kpis.nulls[path];
  return { text: `n/a (${reason ?? "no reason given"})`, status: "none" };
}

function number(kpis: KpisV7Reading, path: KpiPath, value: number | null, unit: string,
                digits: number, status: (v: number) => Status = () => "ok"): Omit<Card, "path"> {
  return value === null
    ? unavailable(kpis, path)
    : { text: `${value.toFixed(digits)} ${unit}`, status: status(value) };
}

function flag(kpis: KpisV7Reading, path: KpiPath, value: boolean | null, yes: string, no: string,
              whenFalse: Status): Omit<Card, "path"> {
  if (value === null) return unavailable(kpis, path);
  return value ? { text: yes, status: "ok" } : { text: no, status: whenFalse };
}

function label<L extends string>(kpis: KpisV7Reading, path: KpiPath, value: L | null,
                                 status: (v: L) => Status): Omit<Card, "path"> {
  return value === null ? unavailable(kpis, path) : { text: value, status: status(value) };
}

/** A sample count (7.1.0): null with its reason when there is none, a 7.0.0 payload included. */
function count(kpis: KpisV7Reading, path: KpiPath, value: number | null,
               unit: string): Omit<Card, "path"> {
  return value === null
    ? unavailable(kpis, path)
    : { text: `${value.toLocaleString("en-US")} ${unit}`, status: "ok" };
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

/** One renderer per KPI path: tsc fails here when the schema gains a KPI this file ignores. */
const RENDERERS: { [P in KpiPath]-?: (k: KpisV7Reading) => Omit<Card, "path"> } = {
  // What produced the payload (7.1.0): anything but live is a simulation or a recording.
  run_mode: (k) =>
    label(k, "run_mode", k.run_mode, (m) => (m === "live" ? "ok" : "warn")),
  "nav.nav_total": (k) => number(k, "nav.nav_total", k.nav.nav_total, "USD", 2),
  "nav.nav_age_s": (k) =>
    number(k, "nav.nav_age_s", k.nav.nav_age_s, "s", 1, (v) => (v > 90 ? "warn" : "ok")),
  "nav.sources_ok": (k) =>
    flag(k, "nav.sources_ok", k.nav.sources_ok, "all sources healthy", "a source is unhealthy",
         "bad"),
  // dd_state is an object or null; its children exist only when it is an object.
  "risk.dd_state": (k) =>
    k.risk.dd_state === null
      ? unavailable(k, "risk.dd_state")
      : { text: "reported", status: "ok" },
  "risk.dd_state.state": (k) => {
    const dd = k.risk.dd_state;
    if (dd === null) return unavailable(k, "risk.dd_state");
    return label(k, "risk.dd_state.state", dd.state, (s) => {
      switch (s) {
        case "normal":
        case "recovery":
          return "ok";
        case "cautious":
        case "unknown":
          return "warn";
        case "defensive":
        case "drawdown":
          return "bad";
      }
    });
  },
  "risk.dd_state.drawdown_frac": (k) => {
    const dd = k.risk.dd_state;
    if (dd === null) return unavailable(k, "risk.dd_state");
    if (dd.drawdown_frac === null) return unavailable(k, "risk.dd_state.drawdown_frac");
    return { text: percent(dd.drawdown_frac), status: dd.drawdown_frac > 0.1 ? "bad" : "ok" };
  },
  "risk.atr_regime": (k) =>
    label(k, "risk.atr_regime", k.risk.atr_regime, (r) =>
      r === "panic" ? "bad" : r === "hot" || r === "unknown" ? "warn" : "ok"),
  "risk.fee_pnl_ratio": (k) =>
    number(k, "risk.fee_pnl_ratio", k.risk.fee_pnl_ratio, "x", 2, (v) => (v > 1 ? "warn" : "ok")),
  "router.policy_quality": (k) =>
    label(k, "router.policy_quality", k.router.policy_quality, (q) => {
      switch (q) {
        case "good":
        case "ok":
          return "ok";
        case "degraded":
          return "warn";
        case "broken":
          return "bad";
      }
    }),
  "router.maker_first": (k) =>
    flag(k, "router.maker_first", k.router.maker_first, "maker first", "taker first", "warn"),
  "router.maker_fill_share": (k) => {
    const v = k.router.maker_fill_share;
    return v === null
      ? unavailable(k, "router.maker_fill_share")
      : { text: percent(v), status: "ok" };
  },
  "router.maker_fill_share_fill_count": (k) =>
    count(k, "router.maker_fill_share_fill_count", k.router.maker_fill_share_fill_count, "fills"),
  "router.avg_slippage_bps": (k) =>
    number(k, "router.avg_slippage_bps", k.router.avg_slippage_bps, "bps", 2,
           (v) => (v > 10 ? "warn" : "ok")),
  "router.avg_slippage_bps_fill_count": (k) =>
    count(k, "router.avg_slippage_bps_fill_count", k.router.avg_slippage_bps_fill_count, "fills"),
  "router.reject_rate": (k) => {
    const v = k.router.reject_rate;
    return v === null
      ? unavailable(k, "router.reject_rate")
      : { text: percent(v), status: v > 0.05 ? "warn" : "ok" };
  },
  "router.reject_rate_order_count": (k) =>
    count(k, "router.reject_rate_order_count", k.router.reject_rate_order_count, "orders"),
  "performance.expectancy": (k) =>
    number(k, "performance.expectancy", k.performance.expectancy, "USD/trade", 3,
           (v) => (v < 0 ? "bad" : "ok")),
  "performance.expectancy_trade_count": (k) =>
    count(k, "performance.expectancy_trade_count", k.performance.expectancy_trade_count,
          "trades"),
  "performance.sharpe_state": (k) =>
    label(k, "performance.sharpe_state", k.performance.sharpe_state, (s) =>
      s === "poor" ? "bad" : s === "unknown" ? "warn" : "ok"),
};

/** Every KPI's card, in the schema's order. */
export function cards(kpis: KpisV7Reading): Card[] {
  return (Object.keys(RENDERERS) as KpiPath[]).map((path) => ({
    path,
    ...RENDERERS[path](kpis),
  }));
}

function main(argv: string[]): number {
  const [schemaPath, payloadPath] = argv;
  if (schemaPath === undefined || payloadPath === undefined || argv.length !== 2) {
    process.stderr.write("usage: kpi-cards SCHEMA PAYLOAD\n");
    return 2;
  }
  let schemaText: string;
  let text: string;
  try {
    schemaText = readFileSync(schemaPath, "utf8");
    text = readFileSync(payloadPath, "utf8");
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const schema = JSON.parse(schemaText) as Record<string, unknown>;
  const ajv = new Ajv2020();
  addFormats(ajv);
  setUpAjvForKpisV7(ajv);
  const validate = ajv.compile(schema);
  let kpis: KpisV7Reading;
  try {
    kpis = readKpisV7(text, { schema, validate });
  } catch (error) {
    if (error instanceof KpisV7ReadError) {
      process.stderr.write(`${payloadPath}: ${error.kind}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(`kpis_v7 ${kpis.schema_version} at ${kpis.ts}\n`);
  for (const card of cards(kpis)) {
    process.stdout.write(`${card.path}\t${card.status}\t${card.text}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
