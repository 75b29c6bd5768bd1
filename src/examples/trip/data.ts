/**
 * The trip planner's offline dataset: a small, illustrative snapshot of cities, New York flights, hotels,
 * attractions, transit passes, restaurants and climate. Prices are in US dollars, times are local.
 */

export type Weekday = "Sun" | "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat";

/** Monthly climate normals, January first. */
export interface Climate {
  highC: readonly number[];
  lowC: readonly number[];
  rainDays: readonly number[];
}

export interface City {
  id: string;
  name: string;
  country: string;
  aliases: readonly string[];
  plug: string;
  climate: Climate;
}

export interface Origin {
  id: string;
  name: string;
  aliases: readonly string[];
}

/** A round-trip fare: outbound times at origin/destination local time, return departure at destination local time. */
export interface Flight {
  id: string;
  carrier: string;
  number: string;
  origin: string;
  city: string;
  from: string;
  to: string;
  departs: string;
  arrives: string;
  /** 1 when the outbound flight lands on the day after it departs. */
  arrivalDayOffset: 0 | 1;
  returnNumber: string;
  returnDeparts: string;
  /** Round-trip fare per person. */
  fare: number;
}

export interface Hotel {
  id: string;
  city: string;
  name: string;
  neighbourhood: string;
  /** Price per room per night; a room sleeps two. */
  nightly: number;
  /** Guest rating out of 10. */
  rating: number;
}

export interface Attraction {
  id: string;
  city: string;
  name: string;
  /** Ticket price per person. */
  price: number;
  hours: number;
  /** Must-see score, 1–10. */
  priority: number;
  opens: string;
  closes: string;
  closedOn: readonly Weekday[];
}

export interface TransitPass {
  id: string;
  city: string;
  name: string;
  days: number;
  /** Price per person. */
  price: number;
}

export interface Restaurant {
  id: string;
  city: string;
  name: string;
  neighbourhood: string;
  cuisine: string;
  /** Typical dinner price per person. */
  pricePerPerson: number;
}

export interface TripDataset {
  origins: readonly Origin[];
  cities: readonly City[];
  flights: readonly Flight[];
  hotels: readonly Hotel[];
  attractions: readonly Attraction[];
  passes: readonly TransitPass[];
  restaurants: readonly Restaurant[];
}

const ORIGINS: readonly Origin[] = [
  { id: "nyc", name: "New York", aliases: ["new york city", "nyc", "jfk", "newark"] },
];

const CITIES: readonly City[] = [
  {
    id: "paris",
    name: "Paris",
    country: "France",
    aliases: [],
    plug: "Type E",
    climate: {
      highC: [7, 9, 13, 16, 20, 23, 25, 25, 21, 16, 11, 8],
      lowC: [3, 3, 5, 8, 11, 14, 16, 16, 13, 10, 6, 4],
      rainDays: [10, 9, 10, 9, 9, 8, 8, 7, 8, 10, 10, 11],
    },
  },
  {
    id: "rome",
    name: "Rome",
    country: "Italy",
    aliases: ["roma"],
    plug: "Type L or F",
    climate: {
      highC: [12, 14, 16, 19, 24, 28, 31, 31, 27, 22, 16, 13],
      lowC: [3, 4, 6, 8, 12, 16, 18, 19, 16, 12, 7, 4],
      rainDays: [7, 7, 7, 8, 6, 4, 2, 3, 5, 8, 9, 8],
    },
  },
  {
    id: "london",
    name: "London",
    country: "United Kingdom",
    aliases: [],
    plug: "Type G",
    climate: {
      highC: [8, 9, 12, 15, 18, 21, 24, 23, 20, 16, 11, 9],
      lowC: [3, 3, 4, 6, 9, 12, 14, 14, 12, 9, 6, 3],
      rainDays: [11, 9, 9, 9, 8, 8, 7, 8, 8, 10, 10, 10],
    },
  },
  {
    id: "barcelona",
    name: "Barcelona",
    country: "Spain",
    aliases: [],
    plug: "Type F",
    climate: {
      highC: [14, 15, 17, 19, 22, 26, 28, 29, 26, 22, 17, 14],
      lowC: [5, 6, 8, 10, 13, 17, 20, 20, 18, 14, 9, 6],
      rainDays: [4, 4, 5, 6, 6, 4, 2, 4, 5, 6, 5, 5],
    },
  },
];

const flight = (f: Omit<Flight, "origin">): Flight => ({ origin: "nyc", ...f });

const FLIGHTS: readonly Flight[] = [
  // Paris: the cheapest fare is a late departure that lands after midnight.
  flight({
    id: "n0-701",
    carrier: "Norse Atlantic Airways",
    number: "N0 701",
    city: "paris",
    from: "JFK",
    to: "CDG",
    departs: "11:40",
    arrives: "00:40",
    arrivalDayOffset: 1,
    returnNumber: "N0 702",
    returnDeparts: "17:10",
    fare: 489,
  }),
  flight({
    id: "bf-711",
    carrier: "French bee",
    number: "BF 711",
    city: "paris",
    from: "EWR",
    to: "ORY",
    departs: "21:55",
    arrives: "11:10",
    arrivalDayOffset: 1,
    returnNumber: "BF 710",
    returnDeparts: "17:45",
    fare: 612,
  }),
  flight({
    id: "ua-57",
    carrier: "United Airlines",
    number: "UA 57",
    city: "paris",
    from: "EWR",
    to: "CDG",
    departs: "18:15",
    arrives: "07:35",
    arrivalDayOffset: 1,
    returnNumber: "UA 56",
    returnDeparts: "10:15",
    fare: 718,
  }),
  flight({
    id: "dl-264",
    carrier: "Delta Air Lines",
    number: "DL 264",
    city: "paris",
    from: "JFK",
    to: "CDG",
    departs: "08:25",
    arrives: "21:40",
    arrivalDayOffset: 0,
    returnNumber: "DL 265",
    returnDeparts: "11:05",
    fare: 785,
  }),
  flight({
    id: "af-23",
    carrier: "Air France",
    number: "AF 23",
    city: "paris",
    from: "JFK",
    to: "CDG",
    departs: "19:30",
    arrives: "08:45",
    arrivalDayOffset: 1,
    returnNumber: "AF 22",
    returnDeparts: "13:40",
    fare: 842,
  }),
  flight({
    id: "dl-182",
    carrier: "Delta Air Lines",
    number: "DL 182",
    city: "rome",
    from: "JFK",
    to: "FCO",
    departs: "16:50",
    arrives: "07:25",
    arrivalDayOffset: 1,
    returnNumber: "DL 183",
    returnDeparts: "12:15",
    fare: 698,
  }),
  flight({
    id: "az-609",
    carrier: "ITA Airways",
    number: "AZ 609",
    city: "rome",
    from: "JFK",
    to: "FCO",
    departs: "17:15",
    arrives: "07:50",
    arrivalDayOffset: 1,
    returnNumber: "AZ 608",
    returnDeparts: "10:25",
    fare: 734,
  }),
  flight({
    id: "vs-4",
    carrier: "Virgin Atlantic",
    number: "VS 4",
    city: "london",
    from: "JFK",
    to: "LHR",
    departs: "19:00",
    arrives: "07:05",
    arrivalDayOffset: 1,
    returnNumber: "VS 3",
    returnDeparts: "11:30",
    fare: 655,
  }),
  flight({
    id: "ba-178",
    carrier: "British Airways",
    number: "BA 178",
    city: "london",
    from: "JFK",
    to: "LHR",
    departs: "08:30",
    arrives: "20:35",
    arrivalDayOffset: 0,
    returnNumber: "BA 177",
    returnDeparts: "16:40",
    fare: 690,
  }),
  flight({
    id: "ib-2626",
    carrier: "Level",
    number: "IB 2626",
    city: "barcelona",
    from: "JFK",
    to: "BCN",
    departs: "19:40",
    arrives: "09:25",
    arrivalDayOffset: 1,
    returnNumber: "IB 2627",
    returnDeparts: "15:30",
    fare: 520,
  }),
  flight({
    id: "dl-168",
    carrier: "Delta Air Lines",
    number: "DL 168",
    city: "barcelona",
    from: "JFK",
    to: "BCN",
    departs: "17:50",
    arrives: "07:55",
    arrivalDayOffset: 1,
    returnNumber: "DL 169",
    returnDeparts: "11:00",
    fare: 760,
  }),
];

const HOTELS: readonly Hotel[] = [
  {
    id: "maison-saint-germain",
    city: "paris",
    name: "Maison Saint-Germain",
    neighbourhood: "Saint-Germain-des-Prés",
    nightly: 455,
    rating: 9.4,
  },
  {
    id: "hotel-rue-cler",
    city: "paris",
    name: "Hôtel Rue Cler",
    neighbourhood: "7th arrondissement",
    nightly: 340,
    rating: 9.1,
  },
  {
    id: "marais-saint-paul",
    city: "paris",
    name: "Hôtel du Marais Saint-Paul",
    neighbourhood: "Le Marais",
    nightly: 265,
    rating: 8.9,
  },
  {
    id: "petit-montmartre",
    city: "paris",
    name: "Le Petit Montmartre",
    neighbourhood: "Montmartre",
    nightly: 168,
    rating: 8.3,
  },
  {
    id: "canal-saint-martin",
    city: "paris",
    name: "Hôtel Canal Saint-Martin",
    neighbourhood: "Canal Saint-Martin",
    nightly: 142,
    rating: 7.9,
  },
  {
    id: "campo-suites",
    city: "rome",
    name: "Campo de' Fiori Suites",
    neighbourhood: "Centro Storico",
    nightly: 310,
    rating: 9.0,
  },
  {
    id: "monti-boutique",
    city: "rome",
    name: "Monti Boutique Hotel",
    neighbourhood: "Monti",
    nightly: 240,
    rating: 8.8,
  },
  {
    id: "trastevere-terrace",
    city: "rome",
    name: "Trastevere Terrace Rooms",
    neighbourhood: "Trastevere",
    nightly: 205,
    rating: 8.7,
  },
  {
    id: "covent-garden-house",
    city: "london",
    name: "The Covent Garden House",
    neighbourhood: "Covent Garden",
    nightly: 420,
    rating: 9.2,
  },
  {
    id: "kensington-park",
    city: "london",
    name: "Kensington Park Hotel",
    neighbourhood: "Kensington",
    nightly: 300,
    rating: 8.8,
  },
  {
    id: "south-bank-rooms",
    city: "london",
    name: "South Bank Rooms",
    neighbourhood: "South Bank",
    nightly: 260,
    rating: 8.6,
  },
  {
    id: "gotic-central",
    city: "barcelona",
    name: "Hotel Gòtic Central",
    neighbourhood: "Barri Gòtic",
    nightly: 230,
    rating: 8.9,
  },
  {
    id: "eixample-modern",
    city: "barcelona",
    name: "Eixample Modern",
    neighbourhood: "Eixample",
    nightly: 195,
    rating: 8.7,
  },
  {
    id: "gracia-garden",
    city: "barcelona",
    name: "Gràcia Garden Rooms",
    neighbourhood: "Gràcia",
    nightly: 140,
    rating: 8.4,
  },
];

const ATTRACTIONS: readonly Attraction[] = [
  {
    id: "louvre",
    city: "paris",
    name: "Louvre Museum",
    price: 24,
    hours: 3,
    priority: 10,
    opens: "09:00",
    closes: "18:00",
    closedOn: ["Tue"],
  },
  {
    id: "eiffel-summit",
    city: "paris",
    name: "Eiffel Tower (summit)",
    price: 40,
    hours: 2.5,
    priority: 10,
    opens: "09:30",
    closes: "23:00",
    closedOn: [],
  },
  {
    id: "orsay",
    city: "paris",
    name: "Musée d'Orsay",
    price: 18,
    hours: 2.5,
    priority: 9,
    opens: "09:30",
    closes: "18:00",
    closedOn: ["Mon"],
  },
  {
    id: "seine-cruise",
    city: "paris",
    name: "Seine river cruise",
    price: 19,
    hours: 1,
    priority: 8,
    opens: "10:00",
    closes: "22:30",
    closedOn: [],
  },
  {
    id: "sainte-chapelle",
    city: "paris",
    name: "Sainte-Chapelle",
    price: 14,
    hours: 1,
    priority: 8,
    opens: "09:00",
    closes: "19:00",
    closedOn: [],
  },
  {
    id: "montmartre-walk",
    city: "paris",
    name: "Montmartre and Sacré-Cœur walk",
    price: 0,
    hours: 2,
    priority: 8,
    opens: "06:00",
    closes: "22:30",
    closedOn: [],
  },
  {
    id: "versailles",
    city: "paris",
    name: "Palace of Versailles",
    price: 32,
    hours: 5,
    priority: 7,
    opens: "09:00",
    closes: "18:30",
    closedOn: ["Mon"],
  },
  {
    id: "catacombs",
    city: "paris",
    name: "Catacombs of Paris",
    price: 33,
    hours: 1.5,
    priority: 6,
    opens: "09:45",
    closes: "20:30",
    closedOn: ["Mon"],
  },
  {
    id: "arc-de-triomphe",
    city: "paris",
    name: "Arc de Triomphe rooftop",
    price: 18,
    hours: 1,
    priority: 6,
    opens: "10:00",
    closes: "23:00",
    closedOn: [],
  },
  {
    id: "orangerie",
    city: "paris",
    name: "Musée de l'Orangerie",
    price: 14,
    hours: 1.5,
    priority: 5,
    opens: "09:00",
    closes: "18:00",
    closedOn: ["Tue"],
  },
  {
    id: "colosseum",
    city: "rome",
    name: "Colosseum and Roman Forum",
    price: 22,
    hours: 3,
    priority: 10,
    opens: "09:00",
    closes: "19:00",
    closedOn: [],
  },
  {
    id: "vatican-museums",
    city: "rome",
    name: "Vatican Museums and Sistine Chapel",
    price: 25,
    hours: 3.5,
    priority: 10,
    opens: "08:00",
    closes: "19:00",
    closedOn: ["Sun"],
  },
  {
    id: "borghese",
    city: "rome",
    name: "Borghese Gallery",
    price: 17,
    hours: 2,
    priority: 8,
    opens: "09:00",
    closes: "19:00",
    closedOn: ["Mon"],
  },
  {
    id: "pantheon",
    city: "rome",
    name: "Pantheon",
    price: 6,
    hours: 1,
    priority: 8,
    opens: "09:00",
    closes: "19:00",
    closedOn: [],
  },
  {
    id: "trastevere-walk",
    city: "rome",
    name: "Trastevere evening walk",
    price: 0,
    hours: 2,
    priority: 7,
    opens: "00:00",
    closes: "23:59",
    closedOn: [],
  },
  {
    id: "british-museum",
    city: "london",
    name: "British Museum",
    price: 0,
    hours: 3,
    priority: 10,
    opens: "10:00",
    closes: "17:00",
    closedOn: [],
  },
  {
    id: "tower-of-london",
    city: "london",
    name: "Tower of London",
    price: 40,
    hours: 3,
    priority: 9,
    opens: "09:00",
    closes: "17:30",
    closedOn: [],
  },
  {
    id: "westminster-abbey",
    city: "london",
    name: "Westminster Abbey",
    price: 33,
    hours: 1.5,
    priority: 8,
    opens: "09:30",
    closes: "15:30",
    closedOn: ["Sun"],
  },
  {
    id: "tate-modern",
    city: "london",
    name: "Tate Modern",
    price: 0,
    hours: 2,
    priority: 7,
    opens: "10:00",
    closes: "18:00",
    closedOn: [],
  },
  {
    id: "london-eye",
    city: "london",
    name: "London Eye",
    price: 38,
    hours: 1,
    priority: 7,
    opens: "10:00",
    closes: "20:30",
    closedOn: [],
  },
  {
    id: "sagrada-familia",
    city: "barcelona",
    name: "Sagrada Família",
    price: 33,
    hours: 2,
    priority: 10,
    opens: "09:00",
    closes: "20:00",
    closedOn: [],
  },
  {
    id: "park-guell",
    city: "barcelona",
    name: "Park Güell",
    price: 12,
    hours: 1.5,
    priority: 8,
    opens: "09:30",
    closes: "19:30",
    closedOn: [],
  },
  {
    id: "casa-batllo",
    city: "barcelona",
    name: "Casa Batlló",
    price: 41,
    hours: 1.5,
    priority: 8,
    opens: "09:00",
    closes: "20:00",
    closedOn: [],
  },
  {
    id: "picasso-museum",
    city: "barcelona",
    name: "Picasso Museum",
    price: 17,
    hours: 2,
    priority: 7,
    opens: "10:00",
    closes: "19:00",
    closedOn: ["Mon"],
  },
  {
    id: "gothic-quarter-walk",
    city: "barcelona",
    name: "Gothic Quarter walk",
    price: 0,
    hours: 2,
    priority: 7,
    opens: "00:00",
    closes: "23:59",
    closedOn: [],
  },
];

const PASSES: readonly TransitPass[] = [
  { id: "paris-visite-1", city: "paris", name: "Paris Visite 1 day (zones 1–3)", days: 1, price: 15 },
  { id: "paris-visite-3", city: "paris", name: "Paris Visite 3 days (zones 1–3)", days: 3, price: 34 },
  { id: "paris-visite-5", city: "paris", name: "Paris Visite 5 days (zones 1–3)", days: 5, price: 49 },
  { id: "roma-48", city: "rome", name: "Roma 48h ticket", days: 2, price: 14 },
  { id: "roma-72", city: "rome", name: "Roma 72h ticket", days: 3, price: 20 },
  { id: "roma-cis", city: "rome", name: "CIS weekly ticket", days: 7, price: 26 },
  { id: "london-day", city: "london", name: "Day Travelcard (zones 1–4)", days: 1, price: 25 },
  { id: "london-week", city: "london", name: "7-day Travelcard (zones 1–2)", days: 7, price: 53 },
  { id: "hola-3", city: "barcelona", name: "Hola Barcelona 3 days", days: 3, price: 28 },
  { id: "hola-5", city: "barcelona", name: "Hola Barcelona 5 days", days: 5, price: 43 },
];

const RESTAURANTS: readonly Restaurant[] = [
  {
    id: "petit-cler",
    city: "paris",
    name: "Le Petit Cler",
    neighbourhood: "7th arrondissement",
    cuisine: "French bistro",
    pricePerPerson: 42,
  },
  {
    id: "ombres-du-champ",
    city: "paris",
    name: "Les Ombres du Champ",
    neighbourhood: "7th arrondissement",
    cuisine: "Modern French",
    pricePerPerson: 75,
  },
  {
    id: "bistrot-rosiers",
    city: "paris",
    name: "Bistrot des Rosiers",
    neighbourhood: "Le Marais",
    cuisine: "French bistro",
    pricePerPerson: 48,
  },
  {
    id: "refuge-montmartre",
    city: "paris",
    name: "Le Refuge Montmartre",
    neighbourhood: "Montmartre",
    cuisine: "Traditional French",
    pricePerPerson: 38,
  },
  {
    id: "brasserie-buci",
    city: "paris",
    name: "Brasserie de Buci",
    neighbourhood: "Saint-Germain-des-Prés",
    cuisine: "Brasserie",
    pricePerPerson: 55,
  },
  {
    id: "trattoria-campo",
    city: "rome",
    name: "Trattoria del Campo",
    neighbourhood: "Centro Storico",
    cuisine: "Roman",
    pricePerPerson: 40,
  },
  {
    id: "osteria-monti",
    city: "rome",
    name: "Osteria Monti",
    neighbourhood: "Monti",
    cuisine: "Roman",
    pricePerPerson: 35,
  },
  {
    id: "da-trastevere",
    city: "rome",
    name: "Da Trastevere",
    neighbourhood: "Trastevere",
    cuisine: "Pizza and pasta",
    pricePerPerson: 28,
  },
  {
    id: "covent-chophouse",
    city: "london",
    name: "Covent Chophouse",
    neighbourhood: "Covent Garden",
    cuisine: "British",
    pricePerPerson: 60,
  },
  {
    id: "borough-kitchen",
    city: "london",
    name: "Borough Kitchen",
    neighbourhood: "South Bank",
    cuisine: "Modern European",
    pricePerPerson: 50,
  },
  {
    id: "tapas-gotic",
    city: "barcelona",
    name: "Tapas del Gòtic",
    neighbourhood: "Barri Gòtic",
    cuisine: "Catalan tapas",
    pricePerPerson: 35,
  },
  {
    id: "eixample-bodega",
    city: "barcelona",
    name: "Bodega Eixample",
    neighbourhood: "Eixample",
    cuisine: "Catalan",
    pricePerPerson: 42,
  },
];

/** The dataset the trip workers search. */
export const TRIP_DATA: TripDataset = {
  origins: ORIGINS,
  cities: CITIES,
  flights: FLIGHTS,
  hotels: HOTELS,
  attractions: ATTRACTIONS,
  passes: PASSES,
  restaurants: RESTAURANTS,
};

const matches = (text: string, place: { name: string; aliases: readonly string[] }): boolean => {
  const wanted = text.trim().toLowerCase();
  return place.name.toLowerCase() === wanted || place.aliases.includes(wanted);
};

/** The city a name or alias refers to, if the dataset has it. */
export const findCity = (name: string, data: TripDataset = TRIP_DATA): City | undefined =>
  data.cities.find((city) => matches(name, city));

/** The origin a name or alias refers to, if the dataset has it. */
export const findOrigin = (name: string, data: TripDataset = TRIP_DATA): Origin | undefined =>
  data.origins.find((origin) => matches(name, origin));
