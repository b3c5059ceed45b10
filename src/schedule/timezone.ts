// Time zones, as Kubernetes reads them. Two jobs:
//   1. timeZoneProblem: validate a name exactly as kube-apiserver validates CronJob .spec.timeZone
//      (pkg/apis/batch/validation validateTimeZone): each '/'-separated part matches
//      ^[A-Za-z.\-_0-9+]{1,14}$ and is not '.', '..' or '-'-prefixed; 'Local' (any case) is refused; and Go's
//      time.LoadLocation must find the name - case-sensitively - in the zone database that kube-apiserver and
//      kube-controller-manager embed (time/tzdata). Node's Intl is not used for this: it accepts any case
//      and canonicalizes aliases ('asia/calcutta' -> 'Asia/Kolkata'), so it would accept what Kubernetes rejects.
//   2. utcOffsetSeconds: the zone's UTC offset at an instant, from Intl, cached per zone and year, which
//      the CronJob-faithful time walk in next.ts needs millions of times. The data is Node's ICU tzdata;
//      Kubernetes uses its Go binary's (the host's zoneinfo, else the embedded copy). They agree except where
//      a zone's rules differ between tzdata releases or builds (Morocco's predicted Ramadan DST; pre-1970
//      Europe/Amsterdam, merged into Brussels in ICU but kept by Debian's backzone build).
// GO_TZDATA is the name list of Go 1.26's lib/time/zoneinfo.zip; test/unit/schedule/timezone.test.ts checks it
// against the Go oracle (test/cron-oracle), so a Go upgrade that adds a zone fails a test instead of drifting.

const GO_TZDATA = `
Africa/: Abidjan Accra Addis_Ababa Algiers Asmara Asmera Bamako Bangui Banjul Bissau Blantyre Brazzaville
  Bujumbura Cairo Casablanca Ceuta Conakry Dakar Dar_es_Salaam Djibouti Douala El_Aaiun Freetown Gaborone
  Harare Johannesburg Juba Kampala Khartoum Kigali Kinshasa Lagos Libreville Lome Luanda Lubumbashi Lusaka
  Malabo Maputo Maseru Mbabane Mogadishu Monrovia Nairobi Ndjamena Niamey Nouakchott Ouagadougou Porto-Novo
  Sao_Tome Timbuktu Tripoli Tunis Windhoek
America/: Adak Anchorage Anguilla Antigua Araguaina Argentina/Buenos_Aires Argentina/Catamarca
  Argentina/ComodRivadavia Argentina/Cordoba Argentina/Jujuy Argentina/La_Rioja Argentina/Mendoza
  Argentina/Rio_Gallegos Argentina/Salta Argentina/San_Juan Argentina/San_Luis Argentina/Tucuman
  Argentina/Ushuaia Aruba Asuncion Atikokan Atka Bahia Bahia_Banderas Barbados Belem Belize Blanc-Sablon
  Boa_Vista Bogota Boise Buenos_Aires Cambridge_Bay Campo_Grande Cancun Caracas Catamarca Cayenne Cayman
  Chicago Chihuahua Ciudad_Juarez Coral_Harbour Cordoba Costa_Rica Coyhaique Creston Cuiaba Curacao
  Danmarkshavn Dawson Dawson_Creek Denver Detroit Dominica Edmonton Eirunepe El_Salvador Ensenada Fort_Nelson
  Fort_Wayne Fortaleza Glace_Bay Godthab Goose_Bay Grand_Turk Grenada Guadeloupe Guatemala Guayaquil Guyana
  Halifax Havana Hermosillo Indiana/Indianapolis Indiana/Knox Indiana/Marengo Indiana/Petersburg
  Indiana/Tell_City Indiana/Vevay Indiana/Vincennes Indiana/Winamac Indianapolis Inuvik Iqaluit Jamaica Jujuy
  Juneau Kentucky/Louisville Kentucky/Monticello Knox_IN Kralendijk La_Paz Lima Los_Angeles Louisville
  Lower_Princes Maceio Managua Manaus Marigot Martinique Matamoros Mazatlan Mendoza Menominee Merida
  Metlakatla Mexico_City Miquelon Moncton Monterrey Montevideo Montreal Montserrat Nassau New_York Nipigon
  Nome Noronha North_Dakota/Beulah North_Dakota/Center North_Dakota/New_Salem Nuuk Ojinaga Panama Pangnirtung
  Paramaribo Phoenix Port-au-Prince Port_of_Spain Porto_Acre Porto_Velho Puerto_Rico Punta_Arenas Rainy_River
  Rankin_Inlet Recife Regina Resolute Rio_Branco Rosario Santa_Isabel Santarem Santiago Santo_Domingo
  Sao_Paulo Scoresbysund Shiprock Sitka St_Barthelemy St_Johns St_Kitts St_Lucia St_Thomas St_Vincent
  Swift_Current Tegucigalpa Thule Thunder_Bay Tijuana Toronto Tortola Vancouver Virgin Whitehorse Winnipeg
  Yakutat Yellowknife
Antarctica/: Casey Davis DumontDUrville Macquarie Mawson McMurdo Palmer Rothera South_Pole Syowa Troll Vostok
Arctic/: Longyearbyen
Asia/: Aden Almaty Amman Anadyr Aqtau Aqtobe Ashgabat Ashkhabad Atyrau Baghdad Bahrain Baku Bangkok Barnaul
  Beirut Bishkek Brunei Calcutta Chita Choibalsan Chongqing Chungking Colombo Dacca Damascus Dhaka Dili Dubai
  Dushanbe Famagusta Gaza Harbin Hebron Ho_Chi_Minh Hong_Kong Hovd Irkutsk Istanbul Jakarta Jayapura Jerusalem
  Kabul Kamchatka Karachi Kashgar Kathmandu Katmandu Khandyga Kolkata Krasnoyarsk Kuala_Lumpur Kuching Kuwait
  Macao Macau Magadan Makassar Manila Muscat Nicosia Novokuznetsk Novosibirsk Omsk Oral Phnom_Penh Pontianak
  Pyongyang Qatar Qostanay Qyzylorda Rangoon Riyadh Saigon Sakhalin Samarkand Seoul Shanghai Singapore
  Srednekolymsk Taipei Tashkent Tbilisi Tehran Tel_Aviv Thimbu Thimphu Tokyo Tomsk Ujung_Pandang Ulaanbaatar
  Ulan_Bator Urumqi Ust-Nera Vientiane Vladivostok Yakutsk Yangon Yekaterinburg Yerevan
Atlantic/: Azores Bermuda Canary Cape_Verde Faeroe Faroe Jan_Mayen Madeira Reykjavik South_Georgia St_Helena
  Stanley
Australia/: ACT Adelaide Brisbane Broken_Hill Canberra Currie Darwin Eucla Hobart LHI Lindeman Lord_Howe
  Melbourne NSW North Perth Queensland South Sydney Tasmania Victoria West Yancowinna
Brazil/: Acre DeNoronha East West
: CET CST6CDT Cuba EET EST EST5EDT Egypt Eire Factory GB GB-Eire GMT GMT+0 GMT-0 GMT0 Greenwich HST Hongkong
  Iceland Iran Israel Jamaica Japan Kwajalein Libya MET MST MST7MDT NZ NZ-CHAT Navajo PRC PST8PDT Poland
  Portugal ROC ROK Singapore Turkey UCT UTC Universal W-SU WET Zulu
Canada/: Atlantic Central Eastern Mountain Newfoundland Pacific Saskatchewan Yukon
Chile/: Continental EasterIsland
Etc/: GMT GMT+0 GMT+1 GMT+10 GMT+11 GMT+12 GMT+2 GMT+3 GMT+4 GMT+5 GMT+6 GMT+7 GMT+8 GMT+9 GMT-0 GMT-1 GMT-10
  GMT-11 GMT-12 GMT-13 GMT-14 GMT-2 GMT-3 GMT-4 GMT-5 GMT-6 GMT-7 GMT-8 GMT-9 GMT0 Greenwich UCT UTC Universal
  Zulu
Europe/: Amsterdam Andorra Astrakhan Athens Belfast Belgrade Berlin Bratislava Brussels Bucharest Budapest
  Busingen Chisinau Copenhagen Dublin Gibraltar Guernsey Helsinki Isle_of_Man Istanbul Jersey Kaliningrad Kiev
  Kirov Kyiv Lisbon Ljubljana London Luxembourg Madrid Malta Mariehamn Minsk Monaco Moscow Nicosia Oslo Paris
  Podgorica Prague Riga Rome Samara San_Marino Sarajevo Saratov Simferopol Skopje Sofia Stockholm Tallinn
  Tirane Tiraspol Ulyanovsk Uzhgorod Vaduz Vatican Vienna Vilnius Volgograd Warsaw Zagreb Zaporozhye Zurich
Indian/: Antananarivo Chagos Christmas Cocos Comoro Kerguelen Mahe Maldives Mauritius Mayotte Reunion
Mexico/: BajaNorte BajaSur General
Pacific/: Apia Auckland Bougainville Chatham Chuuk Easter Efate Enderbury Fakaofo Fiji Funafuti Galapagos
  Gambier Guadalcanal Guam Honolulu Johnston Kanton Kiritimati Kosrae Kwajalein Majuro Marquesas Midway Nauru
  Niue Norfolk Noumea Pago_Pago Palau Pitcairn Pohnpei Ponape Port_Moresby Rarotonga Saipan Samoa Tahiti
  Tarawa Tongatapu Truk Wake Wallis Yap
US/: Alaska Aleutian Arizona Central East-Indiana Eastern Hawaii Indiana-Starke Michigan Mountain Pacific
  Samoa
`;

/** KUBERNETES_TIME_ZONES holds every name time.LoadLocation accepts from Go's embedded database. */
export const KUBERNETES_TIME_ZONES: ReadonlySet<string> = (() => {
  const names = new Set<string>();
  let prefix = '';
  for (const token of GO_TZDATA.split(/\s+/)) {
    if (token.endsWith(':')) prefix = token.slice(0, -1);
    else if (token) names.add(prefix + token);
  }
  return names;
})();

const PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** timeZoneProblem says why Kubernetes would refuse `name` as a CronJob timeZone, and what to write; undefined when it is accepted. */
export function timeZoneProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty: write an IANA time zone such as "Europe/Berlin", or leave it out for UTC';
  const badPart = name.split('/').some((p) => p === '.' || p === '..' || p.startsWith('-') || !PART.test(p));
  if (badPart)
    return `unknown time zone "${name}": write an IANA name such as "America/New_York" (letters, digits, '.', '-', '_', '+'; at most 14 characters between slashes)`;
  if (name.toLowerCase() === 'local')
    return '"Local" is the controller machine\'s own zone and Kubernetes refuses it: write an explicit IANA name such as "UTC" or "Europe/Berlin"';
  if (!KUBERNETES_TIME_ZONES.has(name)) {
    const sameButCase = findIgnoringCase(name);
    if (sameButCase) return `unknown time zone "${name}": names are case-sensitive in Kubernetes, write "${sameButCase}"`;
    return `unknown time zone "${name}": write an IANA name such as "Europe/Berlin" or "America/New_York" (see the TZ identifiers at https://www.iana.org/time-zones)`;
  }
  return undefined;
}

function findIgnoringCase(name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const zone of KUBERNETES_TIME_ZONES) if (zone.toLowerCase() === lower) return zone;
  return undefined;
}

// --- UTC offsets ------------------------------------------------------------------------------------

// Intl knows every zone in GO_TZDATA except Go's 'Factory' (always UTC+0, abbreviation "-00").
const INTL_ALIASES: Record<string, string> = { Factory: 'Etc/UTC' };

const DAY = 86_400;
const formatters = new Map<string, Intl.DateTimeFormat>();
/** periodsByZoneYear: per zone and UTC year, the offset periods that year (sorted; the first starts at the year's start). */
const periodsByZoneYear = new Map<string, Map<number, OffsetPeriod[]>>();

/** utcOffsetSeconds is the offset of `zone` from UTC, in seconds east, at the instant `unixSeconds`. */
export function utcOffsetSeconds(zone: string, unixSeconds: number): number {
  return offsetPeriod(zone, unixSeconds).offset;
}

/** OffsetPeriod is a stretch of time [start, end) (unix seconds) in which a zone's offset does not change. */
export interface OffsetPeriod {
  start: number;
  end: number;
  offset: number;
}

/** offsetPeriod is the period around `unixSeconds` (cut at UTC year boundaries), for callers that cache it. */
export function offsetPeriod(zone: string, unixSeconds: number): OffsetPeriod {
  const guess = Math.floor(1970 + unixSeconds / 31_556_952); // mean Gregorian year; off by one at most near New Year
  let periods = yearTable(zone, guess);
  if (unixSeconds < periods[0]!.start) periods = yearTable(zone, guess - 1);
  else if (unixSeconds >= periods[periods.length - 1]!.end) periods = yearTable(zone, guess + 1);
  return find(periods, unixSeconds);
}

function find(periods: OffsetPeriod[], unixSeconds: number): OffsetPeriod {
  let lo = 0;
  let hi = periods.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (periods[mid]!.start <= unixSeconds) lo = mid;
    else hi = mid - 1;
  }
  return periods[lo]!;
}

function yearTable(zone: string, year: number): OffsetPeriod[] {
  let years = periodsByZoneYear.get(zone);
  if (!years) periodsByZoneYear.set(zone, (years = new Map()));
  let periods = years.get(year);
  if (!periods) {
    if (years.size > 200) years.clear(); // bounded memory for callers that wander across centuries
    years.set(year, (periods = yearPeriods(zone, year)));
  }
  return periods;
}

/** assertKnownToRuntime throws when this Node.js cannot compute offsets for `zone`. */
export function assertKnownToRuntime(zone: string): void {
  formatter(zone);
}

// yearPeriods samples the offset once a day and bisects each change down to the second. (Two
// transitions within one day that cancel out would be missed; no zone has had one since 1970.)
function yearPeriods(zone: string, year: number): OffsetPeriod[] {
  const start = Date.UTC(year, 0, 1) / 1000;
  const end = Date.UTC(year + 1, 0, 1) / 1000;
  const periods: OffsetPeriod[] = [{ start, end, offset: intlOffset(zone, start) }];
  let prevT = start;
  let prevOffset = periods[0]!.offset;
  for (let t = start + DAY; prevT < end; t += DAY) {
    const sample = Math.min(t, end);
    const offset = intlOffset(zone, sample);
    if (offset !== prevOffset) {
      let lo = prevT; // offset(lo) === prevOffset
      let hi = sample; // offset(hi) !== prevOffset
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (intlOffset(zone, mid) === prevOffset) lo = mid;
        else hi = mid;
      }
      if (hi < end) {
        periods[periods.length - 1]!.end = hi;
        periods.push({ start: hi, end, offset: intlOffset(zone, hi) });
      }
      prevOffset = offset;
    }
    prevT = sample;
  }
  return periods;
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: INTL_ALIASES[zone] ?? zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

function intlOffset(zone: string, unixSeconds: number): number {
  const parts = formatter(zone).formatToParts(new Date(unixSeconds * 1000));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const era = parts.find((p) => p.type === 'era')?.value;
  const year = era === 'BC' || era === 'B' ? 1 - get('year') : get('year');
  const wall = new Date(0);
  wall.setUTCFullYear(year, get('month') - 1, get('day'));
  wall.setUTCHours(get('hour'), get('minute'), get('second'), 0);
  return Math.round(wall.getTime() / 1000) - unixSeconds;
}
