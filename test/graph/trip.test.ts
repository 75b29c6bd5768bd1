import { InMemoryStore, MemorySaver } from "@langchain/langgraph";
import { runNamespace } from "../../src/workers/memory.js";
import { describe, expect, it } from "vitest";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import { FlightBookingSchema, type FlightBooking } from "../../src/examples/trip/bookings.js";
import {
  EXTRA_NIGHT_TASK_ID,
  TRIP_GOAL,
  TRIP_TASK_IDS,
  parseTripRequest,
  tripExample,
  tripPlan,
  tripRegistry,
  tripRequestFor,
  loadTripPlan,
  TRIP_MEMORY_KEY,
} from "../../src/examples/trip/index.js";
import type { Itinerary } from "../../src/examples/trip/itinerary.js";
import { tripSearchTools } from "../../src/examples/trip/tools.js";
import { weekdayOf } from "../../src/examples/trip/dates.js";
import { TRIP_DATA } from "../../src/examples/trip/data.js";
import { AttemptFailure } from "../../src/errors.js";
import { validatePlan } from "../../src/plan/validate.js";
import type { WorkerOutput, WorkerRunContext } from "../../src/worker-contract.js";
import { runGraph } from "../../src/app/run.js";
import { PlanInputSchema, type DependencyResult, type WorkerInput } from "../../src/schemas.js";
import type { Usage } from "../../src/budget/usage.js";
import { estimateTokens, scriptedProvider } from "../helpers/scripted-model.js";
import { dataRule, taskNonce } from "../../src/fence.js";

const registry = tripRegistry();

const offline: WorkerRunContext = {
  signal: new AbortController().signal,
  attempt: 1,
  params: {},
  modelConfigured: false,
  model: () => {
    throw new Error("no model");
  },
  recordUsage: () => {},
};

interface InputOptions {
  goal?: string;
  description?: string;
  dependencies?: Record<string, DependencyResult>;
}

function input(id: string, worker: string, options: InputOptions = {}): WorkerInput {
  return {
    goal: options.goal ?? TRIP_GOAL,
    task: {
      id,
      title: id,
      description: options.description ?? "",
      worker,
      dependsOn: Object.keys(options.dependencies ?? {}),
      expectedOutput: "",
      estimatedCost: 1,
      complex: false,
    },
    dependencies: options.dependencies ?? {},
    dispatch: 1,
  };
}

async function run(
  worker: string,
  workerInput: WorkerInput,
  context: WorkerRunContext = offline,
): Promise<WorkerOutput> {
  const definition = registry.get(worker);
  if (definition.kind !== "function") throw new Error(`${worker} is not a function worker`);
  const result = await definition.run(workerInput, context);
  return typeof result === "string" ? { output: result } : result;
}

const asDependency = (result: WorkerOutput, worker: string): DependencyResult => ({
  title: worker,
  worker,
  output: result.output,
  data: result.data,
});
const goalWithBudget = (budget: string) =>
  `Plan a 3-day trip to Paris from New York for 2 people, 12–15 May, budget ${budget}.`;

/** Runs the default demo's workers in plan order, as the orchestrator would feed them. */
async function defaultResults() {
  const flight = await run("flight_agent", input("flight", "flight_agent"));
  const flightDep = { flight: asDependency(flight, "flight_agent") };
  const hotel = await run("hotel_agent", input("hotel", "hotel_agent", { dependencies: flightDep }));
  const extra = await run("hotel_agent", input(EXTRA_NIGHT_TASK_ID, "hotel_agent", { dependencies: flightDep }));
  const attractions = await run("attractions_agent", input("attractions", "attractions_agent"));
  const transit = await run("transit_advisor", input("transit_pass", "transit_advisor"));
  const restaurants = await run(
    "restaurant_scout",
    input("restaurants", "restaurant_scout", { dependencies: { hotel: asDependency(hotel, "hotel_agent") } }),
  );
  const packing = await run("packing_advisor", input("weather_packing", "packing_advisor"));
  const priced = {
    ...flightDep,
    hotel: asDependency(hotel, "hotel_agent"),
    attractions: asDependency(attractions, "attractions_agent"),
    transit_pass: asDependency(transit, "transit_advisor"),
    [EXTRA_NIGHT_TASK_ID]: asDependency(extra, "hotel_agent"),
  };
  const budget = await run("budget_checker", input("budget_check", "budget_checker", { dependencies: priced }));
  const everything = {
    ...priced,
    restaurants: asDependency(restaurants, "restaurant_scout"),
    weather_packing: asDependency(packing, "packing_advisor"),
    budget_check: asDependency(budget, "budget_checker"),
  };
  return { flight, hotel, extra, attractions, transit, restaurants, packing, budget, everything };
}

describe("trip requests", () => {
  it("reads the default goal as two travellers from New York to Paris, 12 to 15 May 2026, with $3,000", () => {
    expect(parseTripRequest(TRIP_GOAL)).toEqual({
      origin: "New York",
      destination: "Paris",
      startDate: "2026-05-12",
      endDate: "2026-05-15",
      travellers: 2,
      budget: 3000,
    });
  });

  it("reads month-first dates, a city alias, a family size and a per-person budget", () => {
    expect(parseTripRequest("A family of four from NYC to Roma, June 3-8 2027, $1,200 per person")).toEqual({
      origin: "New York",
      destination: "Rome",
      startDate: "2027-06-03",
      endDate: "2027-06-08",
      travellers: 4,
      budget: 4800,
    });
  });

  it("fills what the goal leaves out with the defaults", () => {
    expect(parseTripRequest("Plan a trip to Barcelona")).toEqual({
      origin: "New York",
      destination: "Barcelona",
      startDate: "2026-05-12",
      endDate: "2026-05-15",
      travellers: 1,
      budget: 1500,
    });
  });

  it("takes a JSON request in the task description over the goal", () => {
    const request = tripRequestFor(
      input("flight", "flight_agent", {
        description: 'Search with {"destination": "London", "travellers": 1, "nights": 4}',
      }),
    );
    expect(request).toEqual({
      origin: "New York",
      destination: "London",
      startDate: "2026-05-12",
      endDate: "2026-05-16",
      travellers: 1,
      budget: 3000,
    });
  });

  it("fails a task whose JSON request is invalid, without retries", async () => {
    const failure = await run(
      "flight_agent",
      input("flight", "flight_agent", { description: '{"travellers": 0}' }),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AttemptFailure);
    expect((failure as AttemptFailure).retryable).toBe(false);
    expect((failure as AttemptFailure).message).toMatch(
      /^The trip request in the task description is invalid: travellers: /,
    );
  });
});

describe("flight_agent", () => {
  it("takes the after-midnight red-eye when it is the only flight within the flight share", async () => {
    const result = await run("flight_agent", input("flight", "flight_agent"));
    expect(result.data).toMatchObject({
      flightId: "n0-701",
      number: "N0 701",
      departureDate: "2026-05-11",
      departs: "11:40",
      arrivalDate: "2026-05-12",
      arrives: "00:40",
      returnDate: "2026-05-15",
      cost: 978,
      share: 1200,
      withinShare: true,
      lateArrival: true,
    });
  });

  it("takes the cheapest flight landing in the daytime when the budget is generous", async () => {
    const result = await run("flight_agent", input("flight", "flight_agent", { goal: goalWithBudget("$5,000") }));
    expect(result.data).toMatchObject({
      flightId: "bf-711",
      arrives: "11:10",
      cost: 1224,
      share: 2000,
      withinShare: true,
      lateArrival: false,
    });
    expect(result.followUps).toBeUndefined();
  });

  it("takes the cheapest flight, flagged over the share, when none fits", async () => {
    const result = await run("flight_agent", input("flight", "flight_agent", { goal: goalWithBudget("$2,000") }));
    expect(result.data).toMatchObject({ flightId: "n0-701", cost: 978, share: 800, withinShare: false });
  });

  it("proposes the extra hotel night exactly when the flight lands after midnight", async () => {
    const budgets = ["$2,000", "$2,600", "$3,000", "$3,100", "$5,000", "$9,000"];
    const seen = await Promise.all(
      budgets.map(async (budget) => {
        const result = await run("flight_agent", input("flight", "flight_agent", { goal: goalWithBudget(budget) }));
        const booking = FlightBookingSchema.parse(result.data);
        return { arrives: booking.arrives, followUps: result.followUps?.length ?? 0 };
      }),
    );
    expect(seen).toEqual([
      { arrives: "00:40", followUps: 1 },
      { arrives: "00:40", followUps: 1 },
      { arrives: "00:40", followUps: 1 },
      { arrives: "11:10", followUps: 0 },
      { arrives: "11:10", followUps: 0 },
      { arrives: "11:10", followUps: 0 },
    ]);
  });

  it("states the follow-up as a hotel task after the flight that blocks the budget checker's and the itinerary planner's tasks", async () => {
    const result = await run("flight_agent", input("flight", "flight_agent"));
    expect(result.followUps).toEqual([
      {
        id: "extra_hotel_night",
        title: "Book an extra hotel night for the after-midnight arrival",
        description:
          "N0 701 lands at 00:40 on Tue 12 May: book the night of Mon 11 May at the trip's hotel so the room is ready on arrival.",
        worker: "hotel_agent",
        dependsOn: ["flight"],
        expectedOutput: "One night at the trip's hotel for the arrival night, with its cost.",
        blocksWorkers: ["budget_checker", "itinerary_planner"],
      },
    ]);
  });

  it("blocks by worker, not by task id, when its task has another id", async () => {
    const result = await run("flight_agent", input("outbound", "flight_agent"));
    expect(
      result.followUps?.map((f) => ({ dependsOn: f.dependsOn, blocks: f.blocks, blocksWorkers: f.blocksWorkers })),
    ).toEqual([{ dependsOn: ["outbound"], blocks: undefined, blocksWorkers: ["budget_checker", "itinerary_planner"] }]);
  });
});

describe("hotel_agent", () => {
  const flightOn = (arrivalDate: string, returnDate: string): FlightBooking =>
    FlightBookingSchema.parse({
      category: "flight",
      cost: 1224,
      label: "French bee BF 711",
      flightId: "bf-711",
      carrier: "French bee",
      number: "BF 711",
      from: "EWR",
      to: "ORY",
      departureDate: "2026-05-12",
      departs: "21:55",
      arrivalDate,
      arrives: "11:10",
      returnDate,
      returnNumber: "BF 710",
      returnDeparts: "17:45",
      travellers: 2,
      farePerPerson: 612,
      share: 1200,
      withinShare: false,
      lateArrival: false,
    });
  const withFlight = (booking: FlightBooking) => ({
    flight: { title: "flight", worker: "flight_agent", output: "", data: booking },
  });

  it("books the best-rated hotel within the nightly budget", async () => {
    const result = await run(
      "hotel_agent",
      input("hotel", "hotel_agent", { dependencies: withFlight(flightOn("2026-05-12", "2026-05-15")) }),
    );
    expect(result.data).toMatchObject({
      hotelId: "hotel-rue-cler",
      rating: 9.1,
      nightly: 340,
      nightlyBudget: 400,
      withinBudget: true,
      nights: 3,
      rooms: 1,
      cost: 1020,
    });
  });

  it("moves down to the best-rated hotel that still fits a tighter budget", async () => {
    const result = await run(
      "hotel_agent",
      input("hotel", "hotel_agent", {
        goal: goalWithBudget("$1,800"),
        dependencies: withFlight(flightOn("2026-05-12", "2026-05-15")),
      }),
    );
    expect(result.data).toMatchObject({ hotelId: "petit-montmartre", nightly: 168, nightlyBudget: 240, cost: 504 });
  });

  it("checks in on the flight's arrival date and out on the return date", async () => {
    const result = await run(
      "hotel_agent",
      input("hotel", "hotel_agent", { dependencies: withFlight(flightOn("2026-05-13", "2026-05-15")) }),
    );
    expect(result.data).toMatchObject({
      checkIn: "2026-05-13",
      checkOut: "2026-05-15",
      nights: 2,
      cost: 680,
      extraNight: false,
    });
  });

  it("books one night, the night before landing, for the extra-night task", async () => {
    const { flight, hotel, extra } = await defaultResults();
    expect(FlightBookingSchema.parse(flight.data).arrivalDate).toBe("2026-05-12");
    expect(extra.data).toMatchObject({
      hotelId: "hotel-rue-cler",
      checkIn: "2026-05-11",
      checkOut: "2026-05-12",
      nights: 1,
      cost: 340,
      extraNight: true,
    });
    expect(hotel.data).toMatchObject({
      hotelId: "hotel-rue-cler",
      checkIn: "2026-05-12",
      checkOut: "2026-05-15",
      nights: 3,
      cost: 1020,
      extraNight: false,
    });
  });
});

describe("attractions, transport, restaurants and packing", () => {
  it("chooses attractions by priority within the per-person budget and the sightseeing hours", async () => {
    const result = await run("attractions_agent", input("attractions", "attractions_agent"));
    expect(result.data).toMatchObject({
      perPersonBudget: 225,
      capacityHours: 15,
      hours: 14.5,
      cost: 332,
      left: ["Palace of Versailles", "Musée de l'Orangerie"],
    });
    expect((result.data as { attractions: { id: string }[] }).attractions.map((a) => a.id)).toEqual([
      "louvre",
      "eiffel-summit",
      "orsay",
      "seine-cruise",
      "sainte-chapelle",
      "montmartre-walk",
      "catacombs",
      "arc-de-triomphe",
    ]);
  });

  it("covers every day with the cheapest passes", async () => {
    const result = await run("transit_advisor", input("transit_pass", "transit_advisor"));
    expect(result.data).toMatchObject({ passId: "paris-visite-5", count: 1, days: 4, pricePerPerson: 49, cost: 98 });
  });

  it("suggests one dinner per night near the hotel first", async () => {
    const { restaurants } = await defaultResults();
    expect((restaurants.data as { restaurants: { id: string }[] }).restaurants.map((r) => r.id)).toEqual([
      "petit-cler",
      "ombres-du-champ",
      "bistrot-rosiers",
    ]);
  });

  it("packs for the month's climate", async () => {
    const result = await run("packing_advisor", input("weather_packing", "packing_advisor"));
    expect(result.data).toEqual({
      kind: "packing",
      month: 5,
      highC: 20,
      lowC: 11,
      rainDays: 9,
      items: ["passport", "plug adapter (Type E)", "comfortable walking shoes", "a compact umbrella or rain jacket"],
    });
  });
});

describe("budget_checker", () => {
  it("adds flight, hotel, extra night, attractions and transport to the exact total", async () => {
    const { budget } = await defaultResults();
    expect(budget.data).toMatchObject({
      budget: 3000,
      total: 2768,
      remaining: 232,
      withinBudget: true,
      byCategory: { flight: 978, hotel: 1360, attractions: 332, transit: 98 },
      missing: [],
    });
    expect((budget.data as { items: { taskId: string; cost: number }[] }).items.map((i) => [i.taskId, i.cost])).toEqual(
      [
        ["flight", 978],
        ["hotel", 1020],
        ["attractions", 332],
        ["transit_pass", 98],
        ["extra_hotel_night", 340],
      ],
    );
    expect(budget.output.split("\n")[0]).toBe("Total $2,768 of $3,000: within budget, $232 left.");
  });

  it("reports the exact shortfall and the unpriced categories when over budget", async () => {
    const priced = (category: string, cost: number): DependencyResult => ({
      title: category,
      worker: "x",
      output: "",
      data: { category, cost, label: category },
    });
    const result = await run(
      "budget_checker",
      input("budget_check", "budget_checker", {
        goal: goalWithBudget("$1,000"),
        dependencies: {
          flight: priced("flight", 700),
          hotel: priced("hotel", 450),
          note: { title: "note", worker: "x", output: "free text" },
        },
      }),
    );
    expect(result.data).toMatchObject({
      total: 1150,
      remaining: -150,
      withinBudget: false,
      missing: ["attractions", "transit"],
    });
    expect(result.output.split("\n")[0]).toBe("Total $1,150 of $1,000: over budget by $150.");
  });
});

describe("itinerary_planner", () => {
  it("assembles, without a model, a plan that covers every day from arrival to departure", async () => {
    const { everything, attractions } = await defaultResults();
    const result = await run(
      "itinerary_planner",
      input("itinerary", "itinerary_planner", { dependencies: everything }),
    );
    const itinerary = result.data as Itinerary;
    expect(itinerary.days.map((d) => [d.date, d.kind, d.capacityHours])).toEqual([
      ["2026-05-12", "arrival", 3],
      ["2026-05-13", "full", 6],
      ["2026-05-14", "full", 6],
      ["2026-05-15", "departure", 0],
    ]);
    const placed = itinerary.days.flatMap((d) => d.attractions);
    const chosen = (attractions.data as { attractions: { id: string }[] }).attractions.map((a) => a.id);
    expect([...placed].sort()).toEqual([...chosen].sort());
    expect(itinerary.unscheduled).toEqual([]);
    for (const day of itinerary.days) {
      for (const id of day.attractions) {
        expect(TRIP_DATA.attractions.find((a) => a.id === id)?.closedOn).not.toContain(weekdayOf(day.date));
      }
    }
    expect(result.output.match(/^## Day .*$/gm)).toEqual([
      "## Day 1 — Tue 12 May (arrival)",
      "## Day 2 — Wed 13 May",
      "## Day 3 — Thu 14 May",
      "## Day 4 — Fri 15 May (departure)",
    ]);
  });

  it("still covers every day of the request when it has no dependencies", async () => {
    const result = await run("itinerary_planner", input("itinerary", "itinerary_planner"));
    expect((result.data as Itinerary).days.map((d) => d.date)).toEqual([
      "2026-05-12",
      "2026-05-13",
      "2026-05-14",
      "2026-05-15",
    ]);
    expect(result.output.trim()).not.toBe("");
  });

  it("writes the plan with the model, from the dependencies, when a model is configured", async () => {
    const { everything } = await defaultResults();
    const provider = scriptedProvider({ worker: () => "Day 1: sleep in after the red-eye." });
    const recorded: Partial<Usage>[] = [];
    const context: WorkerRunContext = {
      ...offline,
      modelConfigured: true,
      model: (role = "worker") => provider.create({ role, model: "scripted", timeoutMs: 1_000 }),
      recordUsage: (usage) => recorded.push(usage),
    };
    const result = await run(
      "itinerary_planner",
      input("itinerary", "itinerary_planner", { dependencies: everything }),
      context,
    );
    expect(result.output).toBe("Day 1: sleep in after the red-eye.");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.outputTokens).toBe(estimateTokens("Day 1: sleep in after the red-eye.".length));
    expect(provider.calls).toHaveLength(1);
    expect(provider.calls[0]!.prompt).toContain("Norse Atlantic Airways N0 701");
    expect(provider.calls[0]!.prompt).toContain("## Day 1 — Tue 12 May (arrival)");
  });

  it("fences its dependencies' results in the model's prompt as data, and its system prompt says so", async () => {
    const { everything } = await defaultResults();
    const provider = scriptedProvider({ worker: () => "Day 1." });
    const context: WorkerRunContext = {
      ...offline,
      modelConfigured: true,
      model: (role = "worker") => provider.create({ role, model: "scripted", timeoutMs: 1_000 }),
    };
    const itinerary = { ...input("itinerary", "itinerary_planner", { dependencies: everything }), fenceSeed: "seed" };
    await run("itinerary_planner", itinerary, context);
    const nonce = taskNonce(itinerary, "task");
    const [call] = provider.calls;
    expect(call!.system.endsWith(`\n\n${dataRule(nonce)}`)).toBe(true);
    expect(call!.prompt).toContain(
      `### flight_agent (flight)\n<worker-output-${nonce}>\n${everything.flight.output}\n</worker-output-${nonce}>`,
    );
    expect(call!.prompt.split(`<worker-output-${nonce}>`)).toHaveLength(Object.keys(everything).length + 1);
  });
});

describe("trip plan and registry", () => {
  it("validates against the trip registry", () => {
    const tasks = PlanInputSchema.parse(tripPlan).tasks;
    expect(validatePlan(tasks, { workers: registry.names, maxTasks: 30 })).toEqual([]);
  });

  it("has eight tasks with the promised dependencies", () => {
    expect(Object.fromEntries(tripPlan.tasks.map((t) => [t.id, [t.worker, t.dependsOn]]))).toEqual({
      flight: ["flight_agent", []],
      attractions: ["attractions_agent", []],
      transit_pass: ["transit_advisor", []],
      weather_packing: ["packing_advisor", []],
      hotel: ["hotel_agent", ["flight"]],
      restaurants: ["restaurant_scout", ["hotel"]],
      budget_check: ["budget_checker", ["flight", "hotel", "attractions", "transit_pass"]],
      itinerary: [
        "itinerary_planner",
        ["flight", "hotel", "attractions", "transit_pass", "weather_packing", "restaurants", "budget_check"],
      ],
    });
    expect(new Set(Object.values(TRIP_TASK_IDS))).toEqual(new Set(tripPlan.tasks.map((t) => t.id)));
  });

  it("refuses at load a plan that names an unregistered worker", () => {
    const plan = { tasks: tripPlan.tasks.map((t) => (t.id === "restaurants" ? { ...t, worker: "food_critic" } : t)) };
    expect(() => loadTripPlan(plan, registry)).toThrow(/Task "restaurants" names unknown worker "food_critic"/);
  });

  it("registers the eight trip workers with the itinerary planner as default", () => {
    expect(registry.names).toEqual([
      "flight_agent",
      "hotel_agent",
      "attractions_agent",
      "transit_advisor",
      "restaurant_scout",
      "packing_advisor",
      "budget_checker",
      "itinerary_planner",
    ]);
    expect(registry.defaultWorker).toBe("itinerary_planner");
    expect(tripExample.goal).toBe(TRIP_GOAL);
    expect(tripExample.plan).toBe(tripPlan);
    expect(tripExample.registry().names).toEqual(registry.names);
  });

  it("offers search tools that recommend what the workers choose", async () => {
    const [searchFlights, searchHotels] = tripSearchTools();
    const request = parseTripRequest(TRIP_GOAL);
    expect(JSON.parse(String(await searchFlights!.invoke(request))).recommended).toBe("n0-701");
    expect(JSON.parse(String(await searchHotels!.invoke(request))).recommended).toBe("hotel-rue-cler");
  });
});

describe("the trip demo end to end", () => {
  it("has the hotel agent take the trip's dates and budget from the memory the flight agent left them in", async () => {
    const store = new InMemoryStore();
    const graph = compileOrchestrator(
      { registry: tripRegistry(), models: scriptedProvider({}, { configured: false }) },
      { checkpointer: new MemorySaver(), store },
    );
    await runGraph(graph, { goal: TRIP_GOAL, plan: tripPlan }, { threadId: "memory" });
    const { results, runId } = (await graph.getState({ configurable: { thread_id: "memory" } })).values;
    const remembered = (await store.get(runNamespace(runId), TRIP_MEMORY_KEY))?.value;
    expect(remembered).toEqual({
      arrivalDate: results.flight.data.arrivalDate,
      returnDate: "2026-05-15",
      budget: 3000,
    });
    expect(results.hotel.output).toContain("Dates and budget: from the team's memory, as the flight agent fixed them.");
    expect(results.hotel.data).toMatchObject({ checkIn: results.flight.data.arrivalDate, checkOut: "2026-05-15" });
  });

  it("takes the red-eye, books the extra night before the budget check, and finishes every task", async () => {
    const graph = compileOrchestrator(
      { registry: tripRegistry(), models: scriptedProvider({}, { configured: false }) },
      { checkpointer: new MemorySaver() },
    );
    const summary = await runGraph(graph, { goal: TRIP_GOAL, plan: tripPlan }, { threadId: "t" });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["flight", "done"],
      ["attractions", "done"],
      ["transit_pass", "done"],
      ["weather_packing", "done"],
      ["hotel", "done"],
      ["restaurants", "done"],
      ["budget_check", "done"],
      ["itinerary", "done"],
      ["extra_hotel_night", "done"],
    ]);
    const byId = new Map(summary.tasks.map((t) => [t.id, t]));
    expect(byId.get(EXTRA_NIGHT_TASK_ID)?.dependsOn).toEqual(["flight"]);
    expect(byId.get("budget_check")?.dependsOn).toContain(EXTRA_NIGHT_TASK_ID);
    expect(byId.get("itinerary")?.dependsOn).toContain(EXTRA_NIGHT_TASK_ID);
    const state = await graph.getState({ configurable: { thread_id: "t" } });
    const results = state.values.results as Record<string, { data?: unknown }>;
    expect(results.flight?.data).toMatchObject({ flightId: "n0-701", lateArrival: true });
    expect(results.budget_check?.data).toMatchObject({ total: 2768, budget: 3000, withinBudget: true });
    expect(summary.answer).toContain("## Day 1 — Tue 12 May (arrival)");
  });

  it("counts the extra night in the budget when the planner chose other task ids", async () => {
    const renamed: Record<string, string> = {
      flight: "book_flight",
      attractions: "sights",
      transit_pass: "metro",
      weather_packing: "weather",
      hotel: "stay",
      restaurants: "dinners",
      budget_check: "costs",
      itinerary: "day_by_day",
    };
    const plan = {
      tasks: tripPlan.tasks.map((t) => ({
        ...t,
        id: renamed[t.id]!,
        dependsOn: (t.dependsOn ?? []).map((dep) => renamed[dep]!),
      })),
    };
    const graph = compileOrchestrator(
      { registry: tripRegistry(), models: scriptedProvider({}, { configured: false }) },
      { checkpointer: new MemorySaver() },
    );
    const summary = await runGraph(graph, { goal: TRIP_GOAL, plan }, { threadId: "renamed" });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual(
      [...Object.values(renamed), EXTRA_NIGHT_TASK_ID].map((id) => [id, "done"]),
    );
    const byId = new Map(summary.tasks.map((t) => [t.id, t]));
    expect(byId.get(EXTRA_NIGHT_TASK_ID)?.dependsOn).toEqual(["book_flight"]);
    expect(byId.get("costs")?.dependsOn).toEqual(["book_flight", "stay", "sights", "metro", EXTRA_NIGHT_TASK_ID]);
    expect(byId.get("day_by_day")?.dependsOn).toContain(EXTRA_NIGHT_TASK_ID);
    expect(byId.get("stay")?.dependsOn).toEqual(["book_flight"]);
    const results = (await graph.getState({ configurable: { thread_id: "renamed" } })).values.results as Record<
      string,
      { data?: unknown }
    >;
    expect(results.costs?.data).toMatchObject({ total: 2768, budget: 3000, withinBudget: true });
  });
});
