import type { Attraction, City, Flight, Hotel, Restaurant, TransitPass, TripDataset } from "./data.js";
import { findCity, findOrigin } from "./data.js";
import { addDays, minutesOf } from "./dates.js";
import { roomsFor, tripNights, type TripRequest } from "./request.js";
import { COST_CATEGORIES, type BudgetReport, type Priced } from "./bookings.js";

/** How the budget is split between the things that are booked ahead. */
export const BUDGET_SHARES = { flight: 0.4, hotel: 0.4, attractions: 0.15, transit: 0.05 } as const;

/** Arrivals before this local time (minutes after midnight) land "after midnight" and need the night before booked. */
export const LATE_ARRIVAL_CUTOFF = 5 * 60;
/** Sightseeing hours on the arrival day and on a full day; the departure day has none. */
export const LIGHT_DAY_HOURS = 3;
export const FULL_DAY_HOURS = 6;

/** The dollars of the budget set aside for one part of the trip. */
export const shareOf = (request: Pick<TripRequest, "budget">, part: keyof typeof BUDGET_SHARES): number =>
  Math.round(request.budget * BUDGET_SHARES[part]);

/** True when an `HH:MM` arrival is between 00:00 and 05:00. */
export const isAfterMidnight = (time: string): boolean => minutesOf(time) < LATE_ARRIVAL_CUTOFF;

/** A flight on the trip's dates: it lands on the first day of the trip. */
export interface FlightOption {
  flight: Flight;
  departureDate: string;
  arrivalDate: string;
  cost: number;
  lateArrival: boolean;
}

/** Every flight from the request's origin to its destination, dated so that it lands on the trip's first day. */
export function flightOptions(request: TripRequest, data: TripDataset): FlightOption[] {
  const city = findCity(request.destination, data);
  const origin = findOrigin(request.origin, data);
  if (!city || !origin) return [];
  return data.flights
    .filter((flight) => flight.city === city.id && flight.origin === origin.id)
    .map((flight) => ({
      flight,
      departureDate: addDays(request.startDate, -flight.arrivalDayOffset),
      arrivalDate: request.startDate,
      cost: flight.fare * request.travellers,
      lateArrival: isAfterMidnight(flight.arrives),
    }));
}

const cheaperThenEarlier = (a: FlightOption, b: FlightOption): number =>
  a.cost - b.cost || minutesOf(a.flight.arrives) - minutesOf(b.flight.arrives);

/**
 * The flight rule: among the flights whose fare for the whole party fits the flight share, the cheapest
 * that does not land after midnight; if only after-midnight arrivals fit, the cheapest of those; if none
 * fits, the cheapest overall. Ties go to the earlier arrival.
 */
export function chooseFlight(options: readonly FlightOption[], share: number): FlightOption | undefined {
  const fitting = options.filter((option) => option.cost <= share);
  const civil = fitting.filter((option) => !option.lateArrival);
  const pool = civil.length > 0 ? civil : fitting.length > 0 ? fitting : options;
  return [...pool].sort(cheaperThenEarlier)[0];
}

/** The most a room may cost per night: the hotel share over the planned nights and rooms. */
export const nightlyBudget = (request: TripRequest): number =>
  Math.floor(shareOf(request, "hotel") / Math.max(1, tripNights(request)) / roomsFor(request.travellers));

/** The hotel rule: the best-rated hotel within the nightly budget, ties to the cheaper; if none fits, the cheapest. */
export function chooseHotel(hotels: readonly Hotel[], budgetPerNight: number): Hotel | undefined {
  const fitting = hotels.filter((hotel) => hotel.nightly <= budgetPerNight);
  if (fitting.length === 0) return [...hotels].sort((a, b) => a.nightly - b.nightly)[0];
  return [...fitting].sort((a, b) => b.rating - a.rating || a.nightly - b.nightly)[0];
}

/** Sightseeing hours of a stay: a light arrival day, full days in between, none on the departure day. */
export const sightseeingHours = (nights: number): number => LIGHT_DAY_HOURS + FULL_DAY_HOURS * Math.max(0, nights - 1);

/**
 * The attractions rule: by must-see priority (ties in dataset order), take each one whose ticket still fits
 * the per-person budget and whose duration still fits the sightseeing hours; skip the rest.
 */
export function chooseAttractions(
  attractions: readonly Attraction[],
  perPersonBudget: number,
  hours: number,
): { chosen: Attraction[]; left: Attraction[] } {
  const chosen: Attraction[] = [];
  const left: Attraction[] = [];
  let spent = 0;
  let used = 0;
  for (const attraction of [...attractions].sort((a, b) => b.priority - a.priority)) {
    if (spent + attraction.price <= perPersonBudget && used + attraction.hours <= hours) {
      chosen.push(attraction);
      spent += attraction.price;
      used += attraction.hours;
    } else {
      left.push(attraction);
    }
  }
  return { chosen, left };
}

/** The transit rule: the cheapest way to cover every day with passes of one kind; ties to fewer passes. */
export function choosePass(
  passes: readonly TransitPass[],
  days: number,
): { pass: TransitPass; count: number } | undefined {
  return passes
    .map((pass) => ({ pass, count: Math.ceil(days / pass.days) }))
    .sort((a, b) => a.count * a.pass.price - b.count * b.pass.price || a.count - b.count)[0];
}

/** One restaurant per night: the hotel's neighbourhood first, then the rest in dataset order. */
export function chooseRestaurants(
  restaurants: readonly Restaurant[],
  neighbourhood: string,
  count: number,
): Restaurant[] {
  const near = restaurants.filter((r) => r.neighbourhood === neighbourhood);
  const rest = restaurants.filter((r) => r.neighbourhood !== neighbourhood);
  return [...near, ...rest].slice(0, Math.max(0, count));
}

/** What to pack for a city in a month, from its climate normals. */
export function packingList(
  city: City,
  month: number,
): { highC: number; lowC: number; rainDays: number; items: string[] } {
  const highC = city.climate.highC[month - 1] ?? 0;
  const lowC = city.climate.lowC[month - 1] ?? 0;
  const rainDays = city.climate.rainDays[month - 1] ?? 0;
  const items = [
    "passport",
    `plug adapter (${city.plug})`,
    "comfortable walking shoes",
    ...(lowC < 10 ? ["a warm layer for the evenings"] : []),
    ...(highC >= 25 ? ["sunscreen and a sun hat"] : []),
    ...(rainDays >= 8 ? ["a compact umbrella or rain jacket"] : []),
  ];
  return { highC, lowC, rainDays, items };
}

/** Adds up priced results: total, per category, what is missing, and the verdict. */
export function budgetReport(budget: number, items: readonly (Priced & { taskId: string })[]): BudgetReport {
  const byCategory = Object.fromEntries(COST_CATEGORIES.map((category) => [category, 0])) as Record<
    Priced["category"],
    number
  >;
  for (const item of items) byCategory[item.category] += item.cost;
  const total = items.reduce((sum, item) => sum + item.cost, 0);
  return {
    kind: "budget",
    budget,
    total,
    remaining: budget - total,
    withinBudget: total <= budget,
    byCategory,
    items: [...items],
    missing: COST_CATEGORIES.filter((category) => !items.some((item) => item.category === category)),
  };
}
