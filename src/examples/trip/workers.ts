import { HumanMessage, SystemMessage, type AIMessage } from "@langchain/core/messages";
import { AttemptFailure } from "../../errors.js";
import { functionWorker, WorkerRegistry } from "../../workers/registry.js";
import type { WorkerDefinition, WorkerOutput, WorkerRunContext } from "../../worker-contract.js";
import type { FollowUpInput, WorkerInput } from "../../schemas.js";
import { fence, taskNonce, withDataRule } from "../../fence.js";
import { textOf } from "../../models.js";
import { usageOf } from "../../budget/usage.js";
import {
  AttractionPicksSchema,
  BudgetReportSchema,
  dependencyData,
  FlightBookingSchema,
  HotelBookingSchema,
  PackingListSchema,
  PricedSchema,
  RestaurantPicksSchema,
  TransitChoiceSchema,
  type AttractionPicks,
  type BudgetReport,
  type FlightBooking,
  type HotelBooking,
  type PackingList,
  type RestaurantPicks,
  type TransitChoice,
} from "./bookings.js";
import { findCity, TRIP_DATA, type City, type TripDataset } from "./data.js";
import { addDays, daysBetween, formatDate, monthName, monthOf, usd } from "./dates.js";
import { buildItinerary, renderItinerary, type Itinerary, type ItineraryInputs } from "./itinerary.js";
import { EXTRA_NIGHT_TASK_ID } from "./plan-ids.js";
import { roomsFor, tripNights, tripRequestFor, type TripRequest } from "./request.js";
import {
  BUDGET_SHARES,
  budgetReport,
  chooseAttractions,
  chooseFlight,
  chooseHotel,
  choosePass,
  chooseRestaurants,
  flightOptions,
  nightlyBudget,
  packingList,
  shareOf,
  sightseeingHours,
  type FlightOption,
} from "./select.js";

/** The names of the trip workers. */
export const TRIP_WORKERS = {
  flight: "flight_agent",
  hotel: "hotel_agent",
  attractions: "attractions_agent",
  transit: "transit_advisor",
  restaurants: "restaurant_scout",
  packing: "packing_advisor",
  budget: "budget_checker",
  itinerary: "itinerary_planner",
} as const;

/** A failure that retrying cannot fix: the request or the dataset does not allow an answer. */
const unanswerable = (message: string): AttemptFailure => new AttemptFailure("worker", message, false);

function requestOf(input: WorkerInput): TripRequest {
  try {
    return tripRequestFor(input);
  } catch (error) {
    throw unanswerable((error as Error).message);
  }
}

function cityOf(request: TripRequest, data: TripDataset): City {
  const city = findCity(request.destination, data);
  if (!city) {
    throw unanswerable(
      `No data for "${request.destination}"; the dataset covers ${data.cities.map((c) => c.name).join(", ")}.`,
    );
  }
  return city;
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;
const people = (count: number): string => (count === 1 ? "1 person" : `${count} people`);

function flightRule(chosen: FlightOption, options: readonly FlightOption[], share: number): string {
  if (chosen.cost > share)
    return `no flight fits the share, so the cheapest overall (${usd(chosen.cost - share)} over the share)`;
  if (chosen.lateArrival) return "only flights landing after midnight fit the share, so the cheapest of those";
  const fitting = options.filter((option) => option.cost <= share && !option.lateArrival).length;
  return `the cheapest of ${plural(fitting, "flight")} within the share that land after 05:00 (ties go to the earlier arrival)`;
}

/**
 * The follow-up that books the night before an after-midnight landing. The plan's budget check and itinerary wait
 * for it: they are found by their workers, whatever ids the plan gave them.
 */
export function extraNightFollowUp(booking: FlightBooking, flightTaskId: string): FollowUpInput {
  return {
    id: EXTRA_NIGHT_TASK_ID,
    title: "Book an extra hotel night for the after-midnight arrival",
    description:
      `${booking.number} lands at ${booking.arrives} on ${formatDate(booking.arrivalDate)}: book the night of ` +
      `${formatDate(addDays(booking.arrivalDate, -1))} at the trip's hotel so the room is ready on arrival.`,
    worker: TRIP_WORKERS.hotel,
    dependsOn: [flightTaskId],
    expectedOutput: "One night at the trip's hotel for the arrival night, with its cost.",
    blocksWorkers: [TRIP_WORKERS.budget, TRIP_WORKERS.itinerary],
  };
}

function toFlightBooking(chosen: FlightOption, request: TripRequest, share: number): FlightBooking {
  const { flight } = chosen;
  return {
    category: "flight",
    cost: chosen.cost,
    label: `${flight.carrier} ${flight.number}, ${request.travellers} × ${usd(flight.fare)}`,
    flightId: flight.id,
    carrier: flight.carrier,
    number: flight.number,
    from: flight.from,
    to: flight.to,
    departureDate: chosen.departureDate,
    departs: flight.departs,
    arrivalDate: chosen.arrivalDate,
    arrives: flight.arrives,
    returnDate: request.endDate,
    returnNumber: flight.returnNumber,
    returnDeparts: flight.returnDeparts,
    travellers: request.travellers,
    farePerPerson: flight.fare,
    share,
    withinShare: chosen.cost <= share,
    lateArrival: chosen.lateArrival,
  };
}

/** Chooses the round-trip flight by the flight rule; proposes an extra hotel night when it lands after midnight. */
export function runFlightAgent(input: WorkerInput, data: TripDataset = TRIP_DATA): WorkerOutput {
  const request = requestOf(input);
  cityOf(request, data);
  const options = flightOptions(request, data);
  const share = shareOf(request, "flight");
  const chosen = chooseFlight(options, share);
  if (!chosen) throw unanswerable(`No flights from ${request.origin} to ${request.destination} in the dataset.`);
  const booking = toFlightBooking(chosen, request, share);
  const others = options
    .filter((option) => option !== chosen)
    .map(
      (o) => `${o.flight.number} lands ${o.flight.arrives}, ${usd(o.cost)}${o.cost > share ? " (over the share)" : ""}`,
    );
  const lines = [
    `Flight: ${booking.carrier} ${booking.number}, ${booking.from} ${booking.departs} on ${formatDate(booking.departureDate)} → ` +
      `${booking.to} ${booking.arrives} on ${formatDate(booking.arrivalDate)}; return ${booking.returnNumber} on ` +
      `${formatDate(booking.returnDate)} at ${booking.returnDeparts}.`,
    `Fare: ${usd(booking.farePerPerson)} per person × ${request.travellers} = ${usd(booking.cost)}; flight share ${usd(share)} ` +
      `(${percent(BUDGET_SHARES.flight)} of ${usd(request.budget)}).`,
    `Rule: ${flightRule(chosen, options, share)}.`,
    ...(others.length ? [`Other options: ${others.join("; ")}.`] : []),
    ...(booking.lateArrival
      ? [`Lands after midnight: an extra hotel night on arrival is needed (follow-up "${EXTRA_NIGHT_TASK_ID}").`]
      : []),
  ];
  return {
    output: lines.join("\n"),
    data: booking,
    ...(booking.lateArrival ? { followUps: [extraNightFollowUp(booking, input.task.id)] } : {}),
  };
}

/** What the flight agent keeps in the team's shared memory for the hotel agent: the trip's dates and budget. */
export interface TripMemory extends Record<string, unknown> {
  arrivalDate: string;
  returnDate: string;
  budget: number;
}

/** The memory key of the trip's dates and budget. */
export const TRIP_MEMORY_KEY = "trip";

/** The dates and budget the flight agent fixed, as it remembers them. */
export const tripMemoryOf = (booking: FlightBooking, request: TripRequest): TripMemory => ({
  arrivalDate: booking.arrivalDate,
  returnDate: booking.returnDate,
  budget: request.budget,
});

/**
 * Books the hotel from the arrival date to the return, or, for the extra-night task, the arrival night. The dates and
 * budget come from the team's memory when the flight agent left them there, else from its flight result and request.
 */
export function runHotelAgent(
  input: WorkerInput,
  data: TripDataset = TRIP_DATA,
  remembered?: TripMemory,
): WorkerOutput {
  const request = requestOf(input);
  const city = cityOf(request, data);
  const flight = dependencyData(input, FlightBookingSchema)[0]?.data;
  const arrival = remembered?.arrivalDate ?? flight?.arrivalDate ?? request.startDate;
  const extraNight = input.task.id === EXTRA_NIGHT_TASK_ID;
  const checkIn = extraNight ? addDays(arrival, -1) : arrival;
  const lastDay = remembered?.returnDate ?? flight?.returnDate ?? request.endDate;
  const checkOut = extraNight ? arrival : lastDay > checkIn ? lastDay : addDays(checkIn, 1);
  const nights = daysBetween(checkIn, checkOut);
  const budget = nightlyBudget(remembered ? { ...request, budget: remembered.budget } : request);
  const hotel = chooseHotel(
    data.hotels.filter((h) => h.city === city.id),
    budget,
  );
  if (!hotel) throw unanswerable(`No hotels in ${city.name} in the dataset.`);
  const rooms = roomsFor(request.travellers);
  const cost = hotel.nightly * nights * rooms;
  const booking: HotelBooking = {
    category: "hotel",
    cost,
    label: `${hotel.name}, ${extraNight ? `extra night of ${formatDate(checkIn)}` : plural(nights, "night")} × ${plural(rooms, "room")}`,
    hotelId: hotel.id,
    name: hotel.name,
    neighbourhood: hotel.neighbourhood,
    rating: hotel.rating,
    nightly: hotel.nightly,
    rooms,
    checkIn,
    checkOut,
    nights,
    nightlyBudget: budget,
    withinBudget: hotel.nightly <= budget,
    extraNight,
  };
  const stay = `check in ${formatDate(checkIn)}, check out ${formatDate(checkOut)}: ${plural(nights, "night")} × ${plural(rooms, "room")} × ${usd(hotel.nightly)} = ${usd(cost)}`;
  const lines = [
    extraNight
      ? `Extra night at ${hotel.name} (${hotel.neighbourhood}, rated ${hotel.rating}) for the arrival night: ${stay}.`
      : `Hotel: ${hotel.name} (${hotel.neighbourhood}, rated ${hotel.rating}): ${stay}.`,
    flight
      ? `${flight.number} lands at ${flight.arrives} on ${formatDate(flight.arrivalDate)}${extraNight ? ", so the room is ready on arrival" : "; check-in follows the arrival"}.`
      : "No flight result: check-in on the trip's first day.",
    `Rule: the best-rated hotel within the nightly budget of ${usd(budget)} (${percent(BUDGET_SHARES.hotel)} of ${usd(remembered?.budget ?? request.budget)} over ` +
      `${plural(tripNights(request), "night")} and ${plural(rooms, "room")})${booking.withinBudget ? "" : "; none fits, so the cheapest"}.`,
    ...(remembered ? ["Dates and budget: from the team's memory, as the flight agent fixed them."] : []),
  ];
  return { output: lines.join("\n"), data: booking };
}

/** Chooses attractions by priority within the attractions share and the sightseeing hours. */
export function runAttractionsAgent(input: WorkerInput, data: TripDataset = TRIP_DATA): WorkerOutput {
  const request = requestOf(input);
  const city = cityOf(request, data);
  const perPersonBudget = Math.floor(shareOf(request, "attractions") / request.travellers);
  const capacityHours = sightseeingHours(tripNights(request));
  const { chosen, left } = chooseAttractions(
    data.attractions.filter((a) => a.city === city.id),
    perPersonBudget,
    capacityHours,
  );
  const perPerson = chosen.reduce((sum, attraction) => sum + attraction.price, 0);
  const hours = chosen.reduce((sum, attraction) => sum + attraction.hours, 0);
  const picks: AttractionPicks = {
    category: "attractions",
    cost: perPerson * request.travellers,
    label: `${plural(chosen.length, "attraction")} for ${people(request.travellers)}`,
    travellers: request.travellers,
    perPersonBudget,
    capacityHours,
    hours,
    attractions: chosen.map(({ id, name, price, hours: h, opens, closes, closedOn }) => ({
      id,
      name,
      price,
      hours: h,
      opens,
      closes,
      closedOn: [...closedOn],
    })),
    left: left.map((attraction) => attraction.name),
  };
  const lines = [
    `Attractions in ${city.name}: ${usd(perPerson)} per person, ${usd(picks.cost)} in all, ${hours} of ${capacityHours} sightseeing hours.`,
    ...chosen.map(
      (a) =>
        `- ${a.name}: ${usd(a.price)}, ${a.hours} h, ${a.opens}–${a.closes}${a.closedOn.length ? `, closed ${a.closedOn.join("/")}` : ""}`,
    ),
    ...(left.length ? [`Left out (budget ${usd(perPersonBudget)} per person or time): ${picks.left.join(", ")}.`] : []),
  ];
  return { output: lines.join("\n"), data: picks };
}

/** Chooses the cheapest transit passes that cover every day of the stay. */
export function runTransitAdvisor(input: WorkerInput, data: TripDataset = TRIP_DATA): WorkerOutput {
  const request = requestOf(input);
  const city = cityOf(request, data);
  const days = tripNights(request) + 1;
  const choice = choosePass(
    data.passes.filter((p) => p.city === city.id),
    days,
  );
  if (!choice) throw unanswerable(`No transit passes for ${city.name} in the dataset.`);
  const { pass, count } = choice;
  const result: TransitChoice = {
    category: "transit",
    cost: count * pass.price * request.travellers,
    label: `${pass.name} × ${count * request.travellers}`,
    passId: pass.id,
    name: pass.name,
    count,
    days,
    pricePerPerson: count * pass.price,
  };
  return {
    output:
      `Local transport: ${count} × ${pass.name} per person covers ${plural(days, "day")} for ${usd(result.pricePerPerson)} per person, ` +
      `${usd(result.cost)} in all (the cheapest way to cover every day).`,
    data: result,
  };
}

/** Suggests one dinner per night, near the hotel first. */
export function runRestaurantScout(input: WorkerInput, data: TripDataset = TRIP_DATA): WorkerOutput {
  const request = requestOf(input);
  const city = cityOf(request, data);
  const stay = dependencyData(input, HotelBookingSchema).find((entry) => !entry.data.extraNight)?.data;
  const neighbourhood = stay?.neighbourhood ?? "";
  const picks = chooseRestaurants(
    data.restaurants.filter((r) => r.city === city.id),
    neighbourhood,
    stay?.nights ?? tripNights(request),
  );
  const result: RestaurantPicks = {
    kind: "restaurants",
    neighbourhood,
    restaurants: picks.map(({ id, name, neighbourhood: area, cuisine, pricePerPerson }) => ({
      id,
      name,
      neighbourhood: area,
      cuisine,
      pricePerPerson,
    })),
  };
  const lines = [
    `Dinners${stay ? ` near ${stay.name} (${neighbourhood})` : ""}: ${plural(picks.length, "suggestion")}.`,
    ...picks.map((r) => `- ${r.name}: ${r.cuisine}, ${r.neighbourhood}, about ${usd(r.pricePerPerson)} per person`),
  ];
  return { output: lines.join("\n"), data: result };
}

/** Packing advice from the destination's climate in the month of travel. */
export function runPackingAdvisor(input: WorkerInput, data: TripDataset = TRIP_DATA): WorkerOutput {
  const request = requestOf(input);
  const city = cityOf(request, data);
  const month = monthOf(request.startDate);
  const advice = packingList(city, month);
  const result: PackingList = { kind: "packing", month, ...advice };
  return {
    output:
      `Weather in ${city.name} in ${monthName(month)}: highs around ${advice.highC} °C, lows around ` +
      `${advice.lowC} °C, rain on about ${advice.rainDays} days a month.\nPack: ${advice.items.join(", ")}.`,
    data: result,
  };
}

const CATEGORY_LABELS: Record<BudgetReport["items"][number]["category"], string> = {
  flight: "Flight",
  hotel: "Hotel",
  attractions: "Attractions",
  transit: "Local transport",
};

/** Adds up every priced dependency against the budget and reports the breakdown. */
export function runBudgetChecker(input: WorkerInput): WorkerOutput {
  const request = requestOf(input);
  const items = dependencyData(input, PricedSchema).map(({ taskId, data }) => ({ taskId, ...data }));
  const report = budgetReport(request.budget, items);
  const verdict = report.withinBudget
    ? `within budget, ${usd(report.remaining)} left`
    : `over budget by ${usd(-report.remaining)}`;
  const lines = [
    `Total ${usd(report.total)} of ${usd(report.budget)}: ${verdict}.`,
    ...report.items.map(
      (item) => `- ${CATEGORY_LABELS[item.category]} (${item.taskId}): ${item.label} = ${usd(item.cost)}`,
    ),
    ...(report.missing.length ? [`Not priced: ${report.missing.join(", ")}.`] : []),
    "Meals are paid locally and are not included.",
  ];
  return { output: lines.join("\n"), data: report };
}

/** Collects what the itinerary needs from the dependencies' results. */
export function itineraryInputs(input: WorkerInput, request: TripRequest): ItineraryInputs {
  const first = <T>(entries: { data: T }[]): T | undefined => entries[0]?.data;
  return {
    request,
    flight: first(dependencyData(input, FlightBookingSchema)),
    hotels: dependencyData(input, HotelBookingSchema).map((entry) => entry.data),
    attractions: first(dependencyData(input, AttractionPicksSchema))?.attractions ?? [],
    restaurants: first(dependencyData(input, RestaurantPicksSchema))?.restaurants ?? [],
    transit: first(dependencyData(input, TransitChoiceSchema)),
    packing: first(dependencyData(input, PackingListSchema)),
    budget: first(dependencyData(input, BudgetReportSchema)),
  };
}

/** The itinerary planner's instructions to its model. */
export const ITINERARY_SYSTEM_PROMPT =
  "You are a travel planner. Write a day-by-day itinerary from the bookings and the draft you are given: one " +
  "section per day from arrival to departure, the arrival day light, attractions on days they are open, dinners " +
  "near the hotel. Keep every booked time, price and name exactly as given; add no bookings. End with the budget line.";

/** The itinerary model's prompt: the dependencies' results fenced as data with `nonce`, then the draft. */
function itineraryPrompt(input: WorkerInput, draft: string, nonce: string): string {
  const results = Object.entries(input.dependencies).map(
    ([id, dep]) => `### ${dep.title} (${id})\n${fence(dep.output, nonce)}`,
  );
  return [`Goal: ${input.goal}`, "## Results", ...results, "## Draft itinerary", draft].join("\n\n");
}

/** Writes the day-by-day plan: with the run's model when one is configured, otherwise assembled deterministically. */
export async function runItineraryPlanner(input: WorkerInput, context: WorkerRunContext): Promise<WorkerOutput> {
  const request = requestOf(input);
  const inputs = itineraryInputs(input, request);
  const itinerary: Itinerary = buildItinerary(inputs);
  const draft = renderItinerary(itinerary, inputs);
  if (!context.modelConfigured) return { output: draft, data: itinerary };
  const nonce = taskNonce(input, "task");
  const messages = [
    new SystemMessage(withDataRule(ITINERARY_SYSTEM_PROMPT, nonce)),
    new HumanMessage(itineraryPrompt(input, draft, nonce)),
  ];
  const reply = (await context.model().invoke(messages, { signal: context.signal })) as AIMessage;
  context.recordUsage(usageOf(reply));
  const text = textOf(reply).trim();
  return { output: text || draft, data: itinerary };
}

/** The trip planner's workers. */
export const TRIP_WORKER_DEFINITIONS: readonly WorkerDefinition[] = [
  functionWorker({
    name: TRIP_WORKERS.flight,
    description:
      "Reads the trip request (origin, destination, dates, travellers, budget) and chooses the round-trip flight within " +
      "the flight share of the budget; proposes an extra hotel night when the flight lands after midnight.",
    run: async (input, context) => {
      const result = runFlightAgent(input);
      await context.memory?.put(TRIP_MEMORY_KEY, tripMemoryOf(result.data as FlightBooking, requestOf(input)));
      return result;
    },
  }),
  functionWorker({
    name: TRIP_WORKERS.hotel,
    description:
      "Books the best-rated hotel within the nightly budget from the flight's arrival date to the return; for the " +
      "extra-night task, books the arrival night. Needs the flight result.",
    run: async (input, context) =>
      runHotelAgent(input, TRIP_DATA, await context.memory?.get<TripMemory>(TRIP_MEMORY_KEY)),
  }),
  functionWorker({
    name: TRIP_WORKERS.attractions,
    description:
      "Chooses the must-see attractions that fit the attractions budget and the sightseeing time of the stay.",
    run: async (input) => runAttractionsAgent(input),
  }),
  functionWorker({
    name: TRIP_WORKERS.transit,
    description: "Chooses the cheapest local transit passes that cover every day of the stay.",
    run: async (input) => runTransitAdvisor(input),
  }),
  functionWorker({
    name: TRIP_WORKERS.restaurants,
    description: "Suggests one dinner per night, near the booked hotel first. Uses the hotel result when given.",
    run: async (input) => runRestaurantScout(input),
  }),
  functionWorker({
    name: TRIP_WORKERS.packing,
    description: "Gives the destination's typical weather in the month of travel and a packing list for it.",
    run: async (input) => runPackingAdvisor(input),
  }),
  functionWorker({
    name: TRIP_WORKERS.budget,
    description:
      "Adds up the priced results it depends on (flight, hotel nights including an extra night, attractions, transport) " +
      "and reports within or over budget with a breakdown.",
    run: async (input) => runBudgetChecker(input),
  }),
  functionWorker({
    name: TRIP_WORKERS.itinerary,
    description:
      "Writes the day-by-day itinerary from the bookings and suggestions it depends on: a light arrival day, attractions " +
      "on days they are open, dinners, departure logistics.",
    run: runItineraryPlanner,
  }),
];

/** The registry of the trip workers; the itinerary planner is the default worker. */
export const tripRegistry = (): WorkerRegistry => new WorkerRegistry(TRIP_WORKER_DEFINITIONS, TRIP_WORKERS.itinerary);
