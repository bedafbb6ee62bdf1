// What the TypeScript interop drivers share: reading the cases, answering, the Prism `Prefer` header.
// Node's own types are not a dependency of the kit: the few globals a driver uses are declared here.
declare const process: { argv: string[]; stdout: { write(text: string): void } };
declare function require(module: "fs"): { readFileSync(path: string, encoding: "utf-8"): string };

export type Case = { id: string; status: number; example: string | null; body: string };
export type Input = {
  operation: { method: string; path: string };
  request: Record<string, unknown>;
  token: string;
  cases: Case[];
};
export type Answer =
  | { kind: "task"; task_id: string; sub_task_ids: string[] }
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

// A 200 body as the generated types describe it: the task when `code` is 0, else the rejection.
export function readOutcome(outcome: {
  code: number;
  message: string;
  result?: { task_id?: string; sub_task_ids?: string[] } | null;
}): Answer {
  if (outcome.code !== 0) return readRejection(outcome);
  const result = outcome.result;
  if (result == null || result.task_id === undefined || result.sub_task_ids === undefined) {
    return { kind: "failed", detail: "code 0 without a task in result" };
  }
  return { kind: "task", task_id: result.task_id, sub_task_ids: result.sub_task_ids };
}

export function readRejection(rejection: { code: number; message: string }): Answer {
  return { kind: "error", code: rejection.code, message: rejection.message };
}
