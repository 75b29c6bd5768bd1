import { z } from "zod";
import { ConfigError } from "../../errors.js";
import type { WorkerInput } from "../../schemas.js";
import { findCity, findOrigin, TRIP_DATA, type TripDataset } from "./data.js";
import { addDays, daysBetween, isIsoDate, isoDate } from "./dates.js";

/** What the traveller asked for. Dates are days at the destination: overnight flights leave the day before. */
export const TripRequestSchema = z.object({
  origin: z.string().min(1).describe("City the travellers fly from, e.g. New York."),
  destination: z.string().min(1).describe("City to visit, e.g. Paris."),
  startDate: z
    .string()
    .refine(isIsoDate, "not a YYYY-MM-DD date")
    .describe("First day at the destination (YYYY-MM-DD)."),
  endDate: z
    .string()
    .refine(isIsoDate, "not a YYYY-MM-DD date")
    .describe("Last day at the destination, the day of the return flight (YYYY-MM-DD)."),
  travellers: z.number().int().min(1).max(9).describe("Number of people travelling."),
  budget: z
    .number()
    .positive()
    .describe("Total budget in US dollars for flights, hotel, attractions and local transport."),
});
export type TripRequest = z.infer<typeof TripRequestSchema>;

/** A trip request as a task description may state it in JSON: any subset of the fields, or `nights` instead of `endDate`. */
export const PartialTripRequestSchema = TripRequestSchema.partial().extend({
  nights: z.number().int().min(1).max(60).optional().describe("Nights at the destination, when endDate is not given."),
});

/** What a goal that leaves things out gets. */
export const TRIP_DEFAULTS = {
  origin: "New York",
  destination: "Paris",
  year: 2026,
  startDate: "2026-05-12",
  nights: 3,
  travellers: 1,
  budgetPerPersonNight: 500,
} as const;
export type TripDefaults = typeof TRIP_DEFAULTS;

const MONTH =
  "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const TO = "\\s*(?:-|to|until|through)\\s*";
const YEAR = "(?:,?\\s+(\\d{4}))?";
const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};
const COUNT = "(\\d+|one|two|three|four|five|six|seven|eight|nine|ten)";
const PLACE = "(\\p{Lu}[\\p{L}'.]*(?:[ -]\\p{Lu}[\\p{L}'.]*)*)";

const monthNumber = (name: string): number => MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
const countOf = (word: string): number => NUMBER_WORDS[word.toLowerCase()] ?? Number(word);

interface DateSpan {
  start: string;
  end?: string;
}

/** A date range from the first pattern that matches; the year defaults and rolls over at New Year. */
function parseDates(text: string, year: number): DateSpan | undefined {
  const iso = new RegExp(`(\\d{4}-\\d{2}-\\d{2})${TO}(\\d{4}-\\d{2}-\\d{2})`, "i").exec(text);
  if (iso) return { start: iso[1]!, end: iso[2]! };
  const span = (d1: string, m1: string, d2: string, m2: string, y?: string): DateSpan => {
    const startYear = y ? Number(y) : year;
    const start = isoDate(startYear, monthNumber(m1), Number(d1));
    const end = isoDate(startYear, monthNumber(m2), Number(d2));
    return { start, end: end < start ? isoDate(startYear + 1, monthNumber(m2), Number(d2)) : end };
  };
  const dayMonthRange = new RegExp(`\\b(\\d{1,2})\\s+${MONTH}${TO}(\\d{1,2})\\s+${MONTH}\\b${YEAR}`, "i").exec(text);
  if (dayMonthRange)
    return span(dayMonthRange[1]!, dayMonthRange[2]!, dayMonthRange[3]!, dayMonthRange[4]!, dayMonthRange[5]);
  const monthDayRange = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${TO}${MONTH}\\s+(\\d{1,2})\\b${YEAR}`, "i").exec(text);
  if (monthDayRange)
    return span(monthDayRange[2]!, monthDayRange[1]!, monthDayRange[4]!, monthDayRange[3]!, monthDayRange[5]);
  const daysOfMonth = new RegExp(`\\b(\\d{1,2})${TO}(\\d{1,2})\\s+${MONTH}\\b${YEAR}`, "i").exec(text);
  if (daysOfMonth) return span(daysOfMonth[1]!, daysOfMonth[3]!, daysOfMonth[2]!, daysOfMonth[3]!, daysOfMonth[4]);
  const monthDays = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${TO}(\\d{1,2})\\b${YEAR}`, "i").exec(text);
  if (monthDays) return span(monthDays[2]!, monthDays[1]!, monthDays[3]!, monthDays[1]!, monthDays[4]);
  const singleIso = /\b(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (singleIso) return { start: singleIso[1]! };
  const dayMonth = new RegExp(`\\b(\\d{1,2})\\s+${MONTH}\\b${YEAR}`, "i").exec(text);
  if (dayMonth)
    return { start: isoDate(dayMonth[3] ? Number(dayMonth[3]) : year, monthNumber(dayMonth[2]!), Number(dayMonth[1])) };
  const monthDay = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})\\b${YEAR}`, "i").exec(text);
  if (monthDay)
    return { start: isoDate(monthDay[3] ? Number(monthDay[3]) : year, monthNumber(monthDay[1]!), Number(monthDay[2])) };
  return undefined;
}

/** Nights from "4 nights" or "5-day trip" (a 5-day trip is 4 nights). */
function parseNights(text: string): number | undefined {
  const nights = new RegExp(`\\b${COUNT}[ -]nights?\\b`, "i").exec(text);
  if (nights) return countOf(nights[1]!);
  const days = new RegExp(`\\b${COUNT}[ -]days?\\b`, "i").exec(text);
  return days ? Math.max(1, countOf(days[1]!) - 1) : undefined;
}

function parseTravellers(text: string): number | undefined {
  const counted = new RegExp(`\\b${COUNT}\\s+(?:people|persons|travell?ers|adults|guests|friends)\\b`, "i").exec(text);
  if (counted) return countOf(counted[1]!);
  const family = new RegExp(`\\bfamily of ${COUNT}\\b`, "i").exec(text);
  if (family) return countOf(family[1]!);
  if (/\b(?:couple|honeymoon|two of us)\b/i.test(text)) return 2;
  if (/\b(?:solo|alone|by myself|just me)\b/i.test(text)) return 1;
  return undefined;
}

/** The budget in dollars: `$3,000`, `$3k`, `3000 USD`; "per person" multiplies by the travellers. */
function parseBudget(text: string, travellers: number): number | undefined {
  const amount = "(\\d[\\d,]*(?:\\.\\d+)?)\\s*(k)?";
  const match =
    new RegExp(`\\$\\s*${amount}`, "i").exec(text) ??
    new RegExp(`\\b${amount}\\s*(?:usd|dollars)\\b`, "i").exec(text) ??
    new RegExp(`\\busd\\s*${amount}`, "i").exec(text);
  if (!match) return undefined;
  const value = Number(match[1]!.replace(/,/g, "")) * (match[2] ? 1000 : 1);
  const perPerson = /^\s*(?:per person|each|pp|a head)\b/i.test(text.slice(match.index + match[0].length));
  return perPerson ? value * travellers : value;
}

function parseDestination(text: string, data: TripDataset): string | undefined {
  const captured = new RegExp(`\\b[Tt]o\\s+${PLACE}`, "u").exec(text)?.[1];
  const known = captured ? findCity(captured, data) : undefined;
  if (known) return known.name;
  const mentioned = data.cities
    .map((city) => ({
      city,
      at: [city.name, ...city.aliases]
        .map((name) => text.toLowerCase().search(new RegExp(`\\b${name.toLowerCase()}\\b`)))
        .filter((i) => i >= 0),
    }))
    .filter((entry) => entry.at.length > 0)
    .sort((a, b) => Math.min(...a.at) - Math.min(...b.at))[0];
  return mentioned?.city.name ?? captured;
}

function parseOrigin(text: string, data: TripDataset): string | undefined {
  const captured = new RegExp(`\\b[Ff]rom\\s+${PLACE}`, "u").exec(text)?.[1];
  return captured ? (findOrigin(captured, data)?.name ?? captured) : undefined;
}

/** Reads a trip request from free text (a goal); what it does not say comes from the defaults. */
export function parseTripRequest(
  text: string,
  defaults: TripDefaults = TRIP_DEFAULTS,
  data: TripDataset = TRIP_DATA,
): TripRequest {
  const normalised = text.replace(/[\u2012-\u2015\u2212]/g, "-");
  const travellers = parseTravellers(normalised) ?? defaults.travellers;
  const dates = parseDates(normalised, defaults.year);
  const startDate = dates?.start ?? defaults.startDate;
  const nights = dates?.end ? daysBetween(dates.start, dates.end) : (parseNights(normalised) ?? defaults.nights);
  return TripRequestSchema.parse({
    origin: parseOrigin(normalised, data) ?? defaults.origin,
    destination: parseDestination(normalised, data) ?? defaults.destination,
    startDate,
    endDate: dates?.end && nights > 0 ? dates.end : addDays(startDate, Math.max(1, nights)),
    travellers,
    budget: parseBudget(normalised, travellers) ?? defaults.budgetPerPersonNight * travellers * Math.max(1, nights),
  });
}

/** The JSON object in a task description, validated as a partial trip request; `{}` when there is none. */
export function structuredTripRequest(description: string): z.infer<typeof PartialTripRequestSchema> {
  const open = description.indexOf("{");
  const close = description.lastIndexOf("}");
  if (open < 0 || close <= open) return {};
  let json: unknown;
  try {
    json = JSON.parse(description.slice(open, close + 1));
  } catch {
    return {};
  }
  const parsed = PartialTripRequestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new ConfigError(`The trip request in the task description is invalid: ${issues.join("; ")}`);
}

/** The request a trip worker serves: the goal's text, overridden by a JSON request in the task description. */
export function tripRequestFor(input: Pick<WorkerInput, "goal" | "task">): TripRequest {
  const fromGoal = parseTripRequest(input.goal);
  const { nights, ...structured } = structuredTripRequest(input.task.description);
  const merged = { ...fromGoal, ...structured };
  const endDate =
    structured.endDate ??
    (nights !== undefined || merged.endDate <= merged.startDate
      ? addDays(merged.startDate, nights ?? tripNights(fromGoal))
      : merged.endDate);
  return TripRequestSchema.parse({ ...merged, endDate });
}

/** Nights at the destination. */
export const tripNights = (request: Pick<TripRequest, "startDate" | "endDate">): number =>
  daysBetween(request.startDate, request.endDate);

/** Hotel rooms the party needs: a room sleeps two. */
export const roomsFor = (travellers: number): number => Math.ceil(travellers / 2);
