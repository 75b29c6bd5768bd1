/** The task ids of the trip plan (`plan.json`), for workers that refer to other tasks. */
export const TRIP_TASK_IDS = {
  flight: "flight",
  hotel: "hotel",
  attractions: "attractions",
  transit: "transit_pass",
  packing: "weather_packing",
  restaurants: "restaurants",
  budget: "budget_check",
  itinerary: "itinerary",
} as const;

/** The id of the follow-up task the flight worker proposes when the flight lands after midnight. */
export const EXTRA_NIGHT_TASK_ID = "extra_hotel_night";
