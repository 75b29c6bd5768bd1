import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import { findCity, TRIP_DATA, type TripDataset } from "./data.js";
import { TripRequestSchema } from "./request.js";
import { chooseFlight, chooseHotel, flightOptions, nightlyBudget, shareOf } from "./select.js";

/** LangChain tools over the trip dataset, for an LLM variant of the trip workers; they apply the same rules. */
export function tripSearchTools(data: TripDataset = TRIP_DATA): StructuredToolInterface[] {
  const searchFlights = tool(
    (request) => {
      const options = flightOptions(request, data);
      const share = shareOf(request, "flight");
      const chosen = chooseFlight(options, share);
      return JSON.stringify({
        flightShare: share,
        recommended: chosen?.flight.id ?? null,
        options: options.map((o) => ({
          ...o.flight,
          departureDate: o.departureDate,
          arrivalDate: o.arrivalDate,
          cost: o.cost,
          lateArrival: o.lateArrival,
          withinShare: o.cost <= share,
        })),
      });
    },
    {
      name: "search_flights",
      description:
        "Round-trip flights for a trip request, each dated to land on the first day, with its cost for the party and the recommended one.",
      schema: TripRequestSchema,
    },
  );
  const searchHotels = tool(
    (request) => {
      const city = findCity(request.destination, data);
      const hotels = city ? data.hotels.filter((hotel) => hotel.city === city.id) : [];
      const budget = nightlyBudget(request);
      return JSON.stringify({ nightlyBudget: budget, recommended: chooseHotel(hotels, budget)?.id ?? null, hotels });
    },
    {
      name: "search_hotels",
      description:
        "Hotels at the destination with nightly price, rating and neighbourhood, the nightly budget and the recommended one.",
      schema: TripRequestSchema,
    },
  );
  return [searchFlights, searchHotels];
}
