import type { Weekday } from "./data.js";

const DAY_MS = 86_400_000;
const WEEKDAYS: readonly Weekday[] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

const toUtc = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

/** A calendar date as `YYYY-MM-DD`. */
export const isoDate = (year: number, month: number, day: number): string =>
  `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;

/** True when the string is a real `YYYY-MM-DD` date. */
export const isIsoDate = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && toUtc(value).toISOString().slice(0, 10) === value;

/** The date `days` after (or before, when negative) an ISO date. */
export const addDays = (iso: string, days: number): string =>
  new Date(toUtc(iso).getTime() + days * DAY_MS).toISOString().slice(0, 10);

/** Whole days from one ISO date to another. */
export const daysBetween = (from: string, to: string): number =>
  Math.round((toUtc(to).getTime() - toUtc(from).getTime()) / DAY_MS);

/** Every ISO date from `from` to `to`, both included. */
export const dateRange = (from: string, to: string): string[] =>
  Array.from({ length: Math.max(0, daysBetween(from, to) + 1) }, (_, i) => addDays(from, i));

/** The weekday of an ISO date. */
export const weekdayOf = (iso: string): Weekday => WEEKDAYS[toUtc(iso).getUTCDay()]!;

/** The month (1–12) of an ISO date. */
export const monthOf = (iso: string): number => toUtc(iso).getUTCMonth() + 1;

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** The English name of a month (1–12). */
export const monthName = (month: number): string => MONTH_NAMES[month - 1] ?? `month ${month}`;

/** An ISO date for people: `Tue 12 May`. */
export const formatDate = (iso: string): string => {
  const date = toUtc(iso);
  return `${weekdayOf(iso)} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
};

/** Minutes after midnight of an `HH:MM` time. */
export const minutesOf = (time: string): number => {
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  return hours * 60 + minutes;
};

/** An `HH:MM` time from minutes after midnight (wrapping around the day). */
export const timeOf = (minutes: number): string => {
  const wrapped = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(wrapped / 60)).padStart(2, "0")}:${String(wrapped % 60).padStart(2, "0")}`;
};

/** US dollars without cents: `$1,020`. */
export const usd = (amount: number): string => `$${Math.round(amount).toLocaleString("en-US")}`;
