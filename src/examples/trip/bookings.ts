import { z } from "zod";
import type { WorkerInput } from "../../schemas.js";

/** Spending categories the budget checker adds up. */
export const COST_CATEGORIES = ["flight", "hotel", "attractions", "transit"] as const;

/** Any worker result that costs money: what the budget checker reads from its dependencies. */
export const PricedSchema = z.object({
  category: z.enum(COST_CATEGORIES),
  cost: z.number().nonnegative().describe("Total in US dollars for the whole party."),
  label: z.string().describe("What the money buys, in a few words."),
});
export type Priced = z.infer<typeof PricedSchema>;

/** The flight worker's `data`. */
export const FlightBookingSchema = PricedSchema.extend({
  category: z.literal("flight"),
  flightId: z.string(),
  carrier: z.string(),
  number: z.string(),
  from: z.string(),
  to: z.string(),
  departureDate: z.string(),
  departs: z.string(),
  arrivalDate: z.string(),
  arrives: z.string(),
  returnDate: z.string(),
  returnNumber: z.string(),
  returnDeparts: z.string(),
  travellers: z.number().int(),
  farePerPerson: z.number(),
  share: z.number().describe("The flight share of the budget."),
  withinShare: z.boolean(),
  lateArrival: z.boolean().describe("Lands between 00:00 and 05:00 local time."),
});
export type FlightBooking = z.infer<typeof FlightBookingSchema>;

/** The hotel worker's `data`, for the stay or for the extra arrival night. */
export const HotelBookingSchema = PricedSchema.extend({
  category: z.literal("hotel"),
  hotelId: z.string(),
  name: z.string(),
  neighbourhood: z.string(),
  rating: z.number(),
  nightly: z.number(),
  rooms: z.number().int(),
  checkIn: z.string(),
  checkOut: z.string(),
  nights: z.number().int(),
  nightlyBudget: z.number(),
  withinBudget: z.boolean(),
  extraNight: z.boolean(),
});
export type HotelBooking = z.infer<typeof HotelBookingSchema>;

export const ChosenAttractionSchema = z.object({
  id: z.string(),
  name: z.string(),
  price: z.number(),
  hours: z.number(),
  opens: z.string(),
  closes: z.string(),
  closedOn: z.array(z.string()),
});
export type ChosenAttraction = z.infer<typeof ChosenAttractionSchema>;

/** The attractions worker's `data`. */
export const AttractionPicksSchema = PricedSchema.extend({
  category: z.literal("attractions"),
  travellers: z.number().int(),
  perPersonBudget: z.number(),
  capacityHours: z.number(),
  hours: z.number(),
  attractions: z.array(ChosenAttractionSchema),
  left: z.array(z.string()).describe("Attractions that did not fit the budget or the time."),
});
export type AttractionPicks = z.infer<typeof AttractionPicksSchema>;

/** The transit worker's `data`. */
export const TransitChoiceSchema = PricedSchema.extend({
  category: z.literal("transit"),
  passId: z.string(),
  name: z.string(),
  count: z.number().int(),
  days: z.number().int(),
  pricePerPerson: z.number(),
});
export type TransitChoice = z.infer<typeof TransitChoiceSchema>;

/** The restaurant worker's `data`. */
export const RestaurantPicksSchema = z.object({
  kind: z.literal("restaurants"),
  neighbourhood: z.string(),
  restaurants: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      neighbourhood: z.string(),
      cuisine: z.string(),
      pricePerPerson: z.number(),
    }),
  ),
});
export type RestaurantPicks = z.infer<typeof RestaurantPicksSchema>;

/** The packing worker's `data`. */
export const PackingListSchema = z.object({
  kind: z.literal("packing"),
  month: z.number().int(),
  highC: z.number(),
  lowC: z.number(),
  rainDays: z.number(),
  items: z.array(z.string()),
});
export type PackingList = z.infer<typeof PackingListSchema>;

/** The budget checker's `data`. */
export const BudgetReportSchema = z.object({
  kind: z.literal("budget"),
  budget: z.number(),
  total: z.number(),
  remaining: z.number().describe("Budget minus total; negative when over."),
  withinBudget: z.boolean(),
  byCategory: z.record(z.enum(COST_CATEGORIES), z.number()),
  items: z.array(PricedSchema.extend({ taskId: z.string() })),
  missing: z.array(z.enum(COST_CATEGORIES)).describe("Categories no dependency priced."),
});
export type BudgetReport = z.infer<typeof BudgetReportSchema>;

/** The dependencies whose `data` matches a schema, with their task ids, in dependency order. */
export function dependencyData<S extends z.ZodType>(
  input: Pick<WorkerInput, "dependencies">,
  schema: S,
): { taskId: string; data: z.infer<S> }[] {
  return Object.entries(input.dependencies).flatMap(([taskId, dependency]) => {
    const parsed = schema.safeParse(dependency.data);
    return parsed.success ? [{ taskId, data: parsed.data as z.infer<S> }] : [];
  });
}
