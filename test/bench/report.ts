/** A table of the printed report. */
export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | boolean | null)[][];
  notes?: string[];
}

/** A goal an issue set for the bench (7, 12, 23), judged on the measured figure (never tuned to pass). */
export interface Goal {
  goal: string;
  measured: string;
  pass: boolean;
}

/** What a scenario hands back: figures for the JSON, tables for the terminal, goals for the verdict. */
export interface ScenarioOutput {
  /** The headline keys of the JSON object (figures, and the peers' list). */
  headline: Record<string, unknown>;
  figures: Record<string, unknown>;
  tables: Table[];
  goals: Goal[];
}

const cell = (value: string | number | boolean | null): string => {
  if (value === null) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number")
    return Number.isInteger(value)
      ? String(value)
      : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value;
};

/** A table as aligned text (numbers right-aligned). */
export function formatTable(table: Table): string {
  const text = table.rows.map((row) => row.map(cell));
  const widths = table.columns.map((column, i) => Math.max(column.length, ...text.map((row) => row[i]?.length ?? 0)));
  const numeric = table.columns.map((_, i) => table.rows.every((row) => typeof row[i] !== "string"));
  const line = (values: string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    `## ${table.title}`,
    line(table.columns),
    line(widths.map((width) => "-".repeat(width))),
    ...text.map(line),
    ...(table.notes ?? []).map((note) => `  ${note}`),
  ].join("\n");
}

/** The verdict table. */
export function goalsTable(goals: readonly Goal[]): Table {
  return {
    title: "Goals (issues 7, 12 and 23)",
    columns: ["goal", "measured", "result"],
    rows: goals.map((g) => [g.goal, g.measured, g.pass ? "PASS" : "FAIL"]),
  };
}
