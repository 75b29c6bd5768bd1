import type {
  BudgetReport,
  ChosenAttraction,
  FlightBooking,
  HotelBooking,
  PackingList,
  RestaurantPicks,
  TransitChoice,
} from "./bookings.js";
import { dateRange, formatDate, minutesOf, timeOf, usd, weekdayOf } from "./dates.js";
import type { TripRequest } from "./request.js";
import { FULL_DAY_HOURS, LIGHT_DAY_HOURS } from "./select.js";

/** Flights land this long before the arrival day turns into an evening-only day. */
const LATEST_USEFUL_ARRIVAL = 13 * 60;
/** Time to leave for the airport before an international departure. */
const AIRPORT_LEAD_MINUTES = 3 * 60;

/** Everything the itinerary is assembled from; all but the request may be missing. */
export interface ItineraryInputs {
  request: TripRequest;
  flight?: FlightBooking;
  hotels: readonly HotelBooking[];
  attractions: readonly ChosenAttraction[];
  restaurants: RestaurantPicks["restaurants"];
  transit?: TransitChoice;
  packing?: PackingList;
  budget?: BudgetReport;
}

export type DayKind = "arrival" | "full" | "departure";

/** One day of the trip. */
export interface ItineraryDay {
  day: number;
  date: string;
  kind: DayKind;
  capacityHours: number;
  attractions: string[];
  notes: string[];
}

/** The deterministic itinerary: one entry per calendar day, arrival to departure. */
export interface Itinerary {
  kind: "itinerary";
  days: ItineraryDay[];
  unscheduled: string[];
}

/** Sightseeing hours on the arrival day: a light day after a morning or after-midnight landing, none after a later one. */
export const arrivalDayHours = (arrives: string | undefined): number =>
  arrives === undefined || minutesOf(arrives) < LATEST_USEFUL_ARRIVAL ? LIGHT_DAY_HOURS : 0;

interface Slot {
  date: string;
  free: number;
  placed: ChosenAttraction[];
}

/**
 * Places attractions longest first, each on the open day with the most free hours (ties to the earlier day);
 * what fits nowhere is returned unscheduled.
 */
export function scheduleAttractions(
  days: readonly { date: string; capacityHours: number }[],
  attractions: readonly ChosenAttraction[],
): { placed: Map<string, ChosenAttraction[]>; unscheduled: ChosenAttraction[] } {
  const slots: Slot[] = days.map((day) => ({ date: day.date, free: day.capacityHours, placed: [] }));
  const unscheduled: ChosenAttraction[] = [];
  for (const attraction of [...attractions].sort((a, b) => b.hours - a.hours)) {
    const open = slots.filter(
      (slot) => slot.free >= attraction.hours && !attraction.closedOn.includes(weekdayOf(slot.date)),
    );
    const best = open.reduce<Slot | undefined>(
      (top, slot) => (top === undefined || slot.free > top.free ? slot : top),
      undefined,
    );
    if (!best) {
      unscheduled.push(attraction);
      continue;
    }
    best.placed.push(attraction);
    best.free -= attraction.hours;
  }
  return { placed: new Map(slots.map((slot) => [slot.date, slot.placed])), unscheduled };
}

function arrivalNotes(inputs: ItineraryInputs): string[] {
  const { flight, transit } = inputs;
  const stay = inputs.hotels.find((hotel) => !hotel.extraNight);
  const extra = inputs.hotels.find((hotel) => hotel.extraNight);
  const notes: string[] = [];
  if (flight) notes.push(`Land at ${flight.to} at ${flight.arrives} (${flight.carrier} ${flight.number}).`);
  if (flight?.lateArrival) {
    notes.push(
      extra
        ? `Your room at ${extra.name} is booked from the night before, so you go straight to bed; sleep in.`
        : "Landing after midnight: the room is only booked from today, so arrange a late-night check-in.",
    );
  }
  if (stay && !extra) notes.push(`Check in at ${stay.name} (${stay.neighbourhood}).`);
  if (transit) notes.push(`Buy ${transit.count} × ${transit.name} per person on arrival.`);
  return notes;
}

function departureNotes(inputs: ItineraryInputs): string[] {
  const { flight } = inputs;
  const stay = inputs.hotels.find((hotel) => !hotel.extraNight);
  const notes = [stay ? `Check out of ${stay.name}.` : "Check out."];
  if (flight) {
    const leave = timeOf(minutesOf(flight.returnDeparts) - AIRPORT_LEAD_MINUTES);
    notes.push(
      `Return flight ${flight.returnNumber} departs at ${flight.returnDeparts}; leave for the airport by ${leave}.`,
    );
  }
  return notes;
}

/** Assembles the day-by-day plan: arrival day light, attractions spread over the open days, dinners nightly. */
export function buildItinerary(inputs: ItineraryInputs): Itinerary {
  const first = inputs.flight?.arrivalDate ?? inputs.request.startDate;
  const last = inputs.flight?.returnDate ?? inputs.request.endDate;
  const dates = dateRange(first, last < first ? first : last);
  const kindOf = (i: number): DayKind => (i === 0 ? "arrival" : i === dates.length - 1 ? "departure" : "full");
  const capacity = (kind: DayKind): number =>
    kind === "arrival" ? arrivalDayHours(inputs.flight?.arrives) : kind === "full" ? FULL_DAY_HOURS : 0;
  const frame = dates.map((date, i) => ({ date, kind: kindOf(i), capacityHours: capacity(kindOf(i)) }));
  const { placed, unscheduled } = scheduleAttractions(frame, inputs.attractions);
  const days = frame.map((slot, i): ItineraryDay => {
    const visits = placed.get(slot.date) ?? [];
    const dinner =
      slot.kind === "departure" ? undefined : inputs.restaurants[i % Math.max(1, inputs.restaurants.length)];
    const notes = [
      ...(slot.kind === "arrival" ? arrivalNotes(inputs) : []),
      ...visits.map((visit) => `${visit.name} (${visit.hours} h, opens ${visit.opens}).`),
      ...(slot.kind !== "departure" && visits.length === 0 ? ["Free time: stroll the neighbourhood and rest."] : []),
      ...(dinner
        ? [
            `Dinner: ${dinner.name} (${dinner.cuisine}, ${dinner.neighbourhood}, about ${usd(dinner.pricePerPerson)} per person).`,
          ]
        : []),
      ...(slot.kind === "departure" ? departureNotes(inputs) : []),
    ];
    return {
      day: i + 1,
      date: slot.date,
      kind: slot.kind,
      capacityHours: slot.capacityHours,
      attractions: visits.map((v) => v.id),
      notes,
    };
  });
  return { kind: "itinerary", days, unscheduled: unscheduled.map((attraction) => attraction.name) };
}

const DAY_LABELS: Record<DayKind, string> = { arrival: " (arrival)", full: "", departure: " (departure)" };

/** The itinerary as Markdown. */
export function renderItinerary(itinerary: Itinerary, inputs: ItineraryInputs): string {
  const { request } = inputs;
  const first = itinerary.days[0]?.date ?? request.startDate;
  const last = itinerary.days[itinerary.days.length - 1]?.date ?? request.endDate;
  const people = `${request.travellers} traveller${request.travellers === 1 ? "" : "s"}`;
  const sections = itinerary.days.map(
    (day) =>
      `## Day ${day.day} — ${formatDate(day.date)}${DAY_LABELS[day.kind]}\n\n${day.notes.map((note) => `- ${note}`).join("\n")}`,
  );
  const extras = [
    itinerary.unscheduled.length
      ? `Not scheduled (no open day with time left): ${itinerary.unscheduled.join(", ")}.`
      : "",
    inputs.packing ? `Pack: ${inputs.packing.items.join(", ")}.` : "",
    inputs.budget
      ? `Budget: ${usd(inputs.budget.total)} of ${usd(inputs.budget.budget)} (${inputs.budget.withinBudget ? "within budget" : "over budget"}).`
      : "",
  ].filter(Boolean);
  return [
    `# ${request.destination}: ${formatDate(first)} – ${formatDate(last)}, ${people}`,
    ...sections,
    ...extras,
  ].join("\n\n");
}
