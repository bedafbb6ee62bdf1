// What the TypeScript interop drivers share: reading the cases, answering, the Prism `Prefer` header.
// Node's own types are not a dependency of the kit: the few globals a driver uses are declared here.
declare const process: { argv: string[]; stdout: { write(text: string): void } };
declare function require(module: "fs"): { readFileSync(path: string, encoding: "utf-8"): string };

export type Case = { id: string; operation: string; status: number; example: string | null; body: string };
export type Call = { method: string; path: string; body: Record<string, unknown> | null; query: Record<string, string> };
export type Input = { operations: Record<string, Call>; token: string; cases: Case[] };
export type Answer =
  | { kind: "ok"; result: unknown }
  | { kind: "error"; code: number; message: string }
  | { kind: "failed"; detail: string };

export type Decode = (testCase: Case, baseUrl: string | undefined, input: Input) => Promise<Answer>;

// `node driver.js CASES_JSON [BASE_URL]`: one answer per case, printed as a JSON list.
export async function main(decode: Decode): Promise<void> {
  const input = JSON.parse(require("fs").readFileSync(process.argv[2] ?? "", "utf-8")) as Input;
  const baseUrl = process.argv[3];
  const answers: Array<Answer & { id: string }> = [];
  for (const testCase of input.cases) {
    if (baseUrl !== undefined && testCase.example === null) continue;
    try {
      answers.push({ id: testCase.id, ...(await decode(testCase, baseUrl, input)) });
    } catch (error) {
      answers.push({ id: testCase.id, kind: "failed", detail: String(error).slice(0, 300) });
    }
  }
  process.stdout.write(JSON.stringify(answers));
}

export function prefer(testCase: Case): string {
  return `code=${testCase.status}, example=${testCase.example ?? ""}`;
}

// A 2xx envelope as the generated types describe it: with `code` 0 its `result`, written back in wire
// form by `toWire` (the generated serializer, or nothing for a types-only generator); else the rejection.
export function readOutcome<T>(
  outcome: { code: number; message: string; result?: T | null },
  toWire: (result: T) => unknown,
): Answer {
  if (outcome.code !== 0) return readRejection(outcome);
  if (outcome.result == null) return { kind: "failed", detail: "code 0 without a result" };
  return { kind: "ok", result: toWire(outcome.result) };
}

export function readRejection(rejection: { code: number; message: string }): Answer {
  return { kind: "error", code: rejection.code, message: rejection.message };
}

export function success(status: number): boolean {
  return status >= 200 && status < 300;
}

// The operation's call, the one case's operation names.
export function callOf(input: Input, testCase: Case): Call {
  const call = input.operations[testCase.operation];
  if (call === undefined) throw new Error(`no call for ${testCase.operation}`);
  return call;
}

export function queryParameter(call: Call, name: string): string {
  const value = call.query[name];
  if (value === undefined) throw new Error(`no query parameter ${name} for ${call.path}`);
  return value;
}
