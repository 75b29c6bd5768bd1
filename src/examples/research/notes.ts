/** The bundled library of the research example: short notes its MCP server serves. */
export interface Note {
  id: string;
  title: string;
  text: string;
}

export const NOTES: readonly Note[] = [
  {
    id: "hp-cop",
    title: "Heat pump efficiency (COP)",
    text: "An air-source heat pump delivers 2.5 to 4 units of heat per unit of electricity (its coefficient of performance, COP) over a heating season; a condensing gas boiler delivers about 0.9 units of heat per unit of gas.",
  },
  {
    id: "hp-cold",
    title: "Heat pumps in cold climates",
    text: "Cold-climate heat pumps keep a COP near 2 at -15 °C and keep working to about -25 °C; below that most installations rely on a backup heater. Field trials in Canada, Norway and Maine report satisfied owners through ordinary winters.",
  },
  {
    id: "costs-install",
    title: "Installation costs",
    text: "Installing an air-source heat pump in a detached house typically costs two to three times as much as replacing a gas boiler; subsidies in many countries cover a large part of the difference.",
  },
  {
    id: "costs-running",
    title: "Running costs",
    text: "Running costs depend on the ratio of electricity to gas prices: where electricity costs less than about three times as much as gas per kWh, a heat pump is usually cheaper to run.",
  },
  {
    id: "emissions",
    title: "Emissions",
    text: "On an average European grid a heat pump emits roughly half to a third of the CO2 of a gas boiler for the same heat, and less as the grid decarbonises.",
  },
  {
    id: "insulation",
    title: "Insulation first",
    text: "Heat pumps work best with low flow temperatures: well-insulated homes and larger radiators or underfloor heating raise the seasonal COP by 10 to 30 %.",
  },
];

/** Notes matching any word of the query (longer than two letters), best match first. */
export function searchNotes(query: string): Note[] {
  const words = query
    .toLowerCase()
    .split(/\W+/)
    .filter((word) => word.length > 2);
  const score = (note: Note) =>
    words.filter((word) => `${note.title} ${note.text}`.toLowerCase().includes(word)).length;
  return NOTES.map((note) => ({ note, hits: score(note) }))
    .filter(({ hits }) => hits > 0)
    .sort((a, b) => b.hits - a.hits)
    .map(({ note }) => note);
}
