/**
 * Word lists the generator draws from. Written for this project (not taken from the
 * Udacity sample); the metro areas are US Census CBSA titles, which is how eventsim
 * names a user's location, and the user agents are browsers of 2014, like the sample's.
 */

export const FEMALE_NAMES: readonly string[] = [
  'Abigail', 'Adriana', 'Alexa', 'Alina', 'Amelia', 'Anna', 'Ariana', 'Aubrey', 'Ava', 'Bella',
  'Brianna', 'Brooke', 'Camila', 'Chloe', 'Claire', 'Daisy', 'Delilah', 'Eden', 'Elena', 'Eliza',
  'Ella', 'Emily', 'Emma', 'Esther', 'Evelyn', 'Faith', 'Gabriela', 'Grace', 'Hailey', 'Hannah',
  'Harper', 'Hazel', 'Isabel', 'Ivy', 'Jade', 'Jasmine', 'Josephine', 'Julia', 'Kayla', 'Kennedy',
  'Layla', 'Leah', 'Lila', 'Lucy', 'Lydia', 'Madison', 'Maya', 'Mia', 'Naomi', 'Natalie',
  'Nora', 'Olivia', 'Paige', 'Penelope', 'Piper', 'Quinn', 'Riley', 'Rose', 'Ruby', 'Sadie',
  'Savannah', 'Scarlett', 'Sofia', 'Stella', 'Sydney', 'Taylor', 'Tessa', 'Valentina', 'Violet', 'Zoe',
];

export const MALE_NAMES: readonly string[] = [
  'Aaron', 'Adrian', 'Aiden', 'Alexander', 'Andrew', 'Anthony', 'Asher', 'Austin', 'Benjamin', 'Blake',
  'Brandon', 'Caleb', 'Cameron', 'Carter', 'Christian', 'Colton', 'Connor', 'Daniel', 'David', 'Dominic',
  'Dylan', 'Easton', 'Elijah', 'Ethan', 'Evan', 'Gabriel', 'Gavin', 'Grayson', 'Henry', 'Hudson',
  'Hunter', 'Isaac', 'Isaiah', 'Jack', 'Jackson', 'Jason', 'Jaxon', 'Jonathan', 'Jordan', 'Jose',
  'Joshua', 'Julian', 'Kevin', 'Landon', 'Levi', 'Liam', 'Lincoln', 'Logan', 'Lucas', 'Luis',
  'Mason', 'Matthew', 'Miles', 'Nathan', 'Nicholas', 'Noah', 'Oliver', 'Owen', 'Parker', 'Robert',
  'Ryan', 'Samuel', 'Sebastian', 'Theodore', 'Thomas', 'Tyler', 'Vincent', 'Wesley', 'William', 'Wyatt',
];

export const LAST_NAMES: readonly string[] = [
  'Adams', 'Alvarez', 'Bailey', 'Baker', 'Barnes', 'Bell', 'Bennett', 'Brooks', 'Bryant', 'Butler',
  'Campbell', 'Carter', 'Castillo', 'Chavez', 'Clark', 'Cole', 'Collins', 'Cook', 'Cooper', 'Cox',
  'Cruz', 'Davis', 'Diaz', 'Edwards', 'Ellis', 'Evans', 'Fisher', 'Flores', 'Ford', 'Foster',
  'Garcia', 'Gibson', 'Gomez', 'Gonzales', 'Graham', 'Gray', 'Green', 'Griffin', 'Hall', 'Hamilton',
  'Harris', 'Hayes', 'Henderson', 'Hernandez', 'Hill', 'Holmes', 'Howard', 'Hughes', 'Jenkins', 'Jimenez',
  'Johnson', 'Jordan', 'Kelly', 'Kennedy', 'Kim', 'King', 'Lee', 'Lewis', 'Long', 'Lopez',
  'Marshall', 'Martin', 'Mendoza', 'Meyer', 'Miller', 'Mitchell', 'Moore', 'Morales', 'Morgan', 'Murphy',
  'Myers', 'Nelson', 'Nguyen', 'Ortiz', 'Owens', 'Parker', 'Patel', 'Perez', 'Perry', 'Peterson',
  'Phillips', 'Powell', 'Price', 'Ramirez', 'Reed', 'Reyes', 'Richardson', 'Rivera', 'Roberts', 'Robinson',
  'Rogers', 'Ross', 'Russell', 'Sanders', 'Scott', 'Simmons', 'Stewart', 'Sullivan', 'Torres', 'Turner',
  'Vasquez', 'Wagner', 'Walker', 'Wallace', 'Ward', 'Watson', 'West', 'Wood', 'Wright', 'Young',
];

/** US metropolitan statistical areas, in CBSA spelling (double hyphens included). */
export const METRO_AREAS: readonly string[] = [
  'New York-Newark-Jersey City, NY-NJ-PA', 'Los Angeles-Long Beach-Anaheim, CA',
  'Chicago-Naperville-Elgin, IL-IN-WI', 'Dallas-Fort Worth-Arlington, TX',
  'Houston-The Woodlands-Sugar Land, TX', 'Washington-Arlington-Alexandria, DC-VA-MD-WV',
  'Miami-Fort Lauderdale-West Palm Beach, FL', 'Philadelphia-Camden-Wilmington, PA-NJ-DE-MD',
  'Atlanta-Sandy Springs-Roswell, GA', 'Boston-Cambridge-Newton, MA-NH',
  'Phoenix-Mesa-Scottsdale, AZ', 'San Francisco-Oakland-Hayward, CA',
  'Riverside-San Bernardino-Ontario, CA', 'Detroit-Warren-Dearborn, MI',
  'Seattle-Tacoma-Bellevue, WA', 'Minneapolis-St. Paul-Bloomington, MN-WI',
  'San Diego-Carlsbad, CA', 'Tampa-St. Petersburg-Clearwater, FL', 'Denver-Aurora-Lakewood, CO',
  'St. Louis, MO-IL', 'Baltimore-Columbia-Towson, MD', 'Charlotte-Concord-Gastonia, NC-SC',
  'Orlando-Kissimmee-Sanford, FL', 'San Antonio-New Braunfels, TX', 'Portland-Vancouver-Hillsboro, OR-WA',
  'Sacramento--Roseville--Arden-Arcade, CA', 'Pittsburgh, PA', 'Las Vegas-Henderson-Paradise, NV',
  'Austin-Round Rock, TX', 'Cincinnati, OH-KY-IN', 'Kansas City, MO-KS', 'Columbus, OH',
  'Indianapolis-Carmel-Anderson, IN', 'Cleveland-Elyria, OH', 'San Jose-Sunnyvale-Santa Clara, CA',
  'Nashville-Davidson--Murfreesboro--Franklin, TN', 'Virginia Beach-Norfolk-Newport News, VA-NC',
  'Providence-Warwick, RI-MA', 'Milwaukee-Waukesha-West Allis, WI', 'Jacksonville, FL',
  'Oklahoma City, OK', 'Raleigh, NC', 'Memphis, TN-MS-AR', 'Richmond, VA', 'Louisville/Jefferson County, KY-IN',
  'New Orleans-Metairie, LA', 'Salt Lake City, UT', 'Hartford-West Hartford-East Hartford, CT',
  'Buffalo-Cheektowaga-Niagara Falls, NY', 'Birmingham-Hoover, AL', 'Rochester, NY', 'Tucson, AZ',
  'Urban Honolulu, HI', 'Tulsa, OK', 'Fresno, CA', 'Worcester, MA-CT', 'Omaha-Council Bluffs, NE-IA',
  'Albuquerque, NM', 'Bridgeport-Stamford-Norwalk, CT', 'Greenville-Anderson-Mauldin, SC',
  'Knoxville, TN', 'El Paso, TX', 'Baton Rouge, LA', 'Madison, WI', 'Des Moines-West Des Moines, IA',
  'Winston-Salem, NC', 'Lansing-East Lansing, MI', 'Augusta-Richmond County, GA-SC', 'Eugene, OR',
  'Santa Rosa, CA', 'Spokane-Spokane Valley, WA', 'Boise City, ID', 'Ann Arbor, MI', 'Lubbock, TX',
  'Waterloo-Cedar Falls, IA', 'Red Bluff, CA', 'Janesville-Beloit, WI', 'Bend-Redmond, OR',
  'Portland-South Portland, ME', 'Burlington-South Burlington, VT', 'Missoula, MT', 'Flagstaff, AZ',
];

const UA_CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko)';
const UA_CHROME_WIN = 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko)';

/** Browser user agents as sent in 2014 (quoting is added where the UA has a comma). */
export const USER_AGENTS: readonly string[] = [
  `${UA_CHROME_MAC} Chrome/36.0.1985.143 Safari/537.36`,
  `${UA_CHROME_MAC} Chrome/37.0.2062.94 Safari/537.36`,
  `${UA_CHROME_WIN} Chrome/36.0.1985.125 Safari/537.36`,
  `${UA_CHROME_WIN} Chrome/37.0.2062.103 Safari/537.36`,
  'Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/37.0.2062.120 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/37.0.2062.94 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 Chrome/36.0.1985.125 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.78.2 (KHTML, like Gecko) Version/7.0.6 Safari/537.78.2',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10) AppleWebKit/538.46 (KHTML, like Gecko) Version/8.0 Safari/538.46',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53',
  'Mozilla/5.0 (iPad; CPU OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0',
  'Mozilla/5.0 (Windows NT 6.3; WOW64; rv:32.0) Gecko/20100101 Firefox/32.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:31.0) Gecko/20100101 Firefox/31.0',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko',
  'Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)',
  'Mozilla/5.0 (Linux; Android 4.4.2; Nexus 5 Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.135 Mobile Safari/537.36',
];

export const ADJECTIVES: readonly string[] = [
  'Blue', 'Broken', 'Burning', 'Electric', 'Empty', 'Endless', 'Falling', 'Golden', 'Hidden', 'Hollow',
  'Last', 'Lonely', 'Lost', 'Midnight', 'Neon', 'Northern', 'Paper', 'Quiet', 'Restless', 'Secret',
  'Silver', 'Sweet', 'Velvet', 'Wild', 'Wooden', 'Crimson', 'Gentle', 'Savage', 'Frozen', 'Little',
];

export const NOUNS: readonly string[] = [
  'Heart', 'River', 'Night', 'Fire', 'Road', 'Rain', 'Dream', 'Train', 'Moon', 'Ocean',
  'Summer', 'Highway', 'Garden', 'Mirror', 'Shadow', 'Thunder', 'Morning', 'Window', 'Letter', 'Angel',
  'Desert', 'City', 'Radio', 'Echo', 'Island', 'Storm', 'Harbor', 'Kingdom', 'Canyon', 'Satellite',
  'Corazón', 'Mañana', 'Café', 'Noël', 'Déjà Vu', 'Señorita', 'Straße', 'Fiesta', 'Amour', 'Sakura',
];

export const BAND_NOUNS: readonly string[] = [
  'Wolves', 'Saints', 'Strangers', 'Lions', 'Ramblers', 'Machines', 'Echoes', 'Pilots', 'Sparrows', 'Kings',
  'Drifters', 'Ghosts', 'Brothers', 'Sisters', 'Comets', 'Outlaws', 'Rebels', 'Tigers', 'Vandals', 'Dreamers',
];

export const VERBS: readonly string[] = [
  'Hold', 'Call', 'Take', 'Follow', 'Remember', 'Leave', 'Chase', 'Find', 'Carry', 'Miss',
  'Save', 'Love', 'Need', 'Wait For', 'Dance With', 'Run To', 'Sing To', 'Forget', 'Believe', 'Touch',
];

export const TITLE_SUFFIXES: readonly string[] = [
  ' (Album Version)', ' (Live)', ' (Remix)', ' (Radio Edit)', ' (Instrumental)', ' (Acoustic)',
  ' [Live At The Apollo]', ' (LP Version)', ' (Extended Mix)', ' (Remastered)', ' (Demo)',
];

/** Places an artist may come from, with their coordinates (degrees, 5 decimals). */
export const PLACES: readonly (readonly [string, number, number])[] = [
  ['Nashville, TN', 36.16266, -86.7816], ['Memphis, TN', 35.14968, -90.04892],
  ['New York, NY', 40.71455, -74.00712], ['Brooklyn, NY', 40.65507, -73.94888],
  ['Los Angeles, CA', 34.05349, -118.24532], ['California - LA', 34.05349, -118.24532],
  ['California - SF', 37.77493, -122.41942], ['Chicago, IL', 41.88415, -87.63241],
  ['Detroit, MI', 42.33168, -83.04792], ['Austin, TX', 30.26759, -97.74299],
  ['Houston, TX', 29.76045, -95.36978], ['Atlanta, GA', 33.74831, -84.39111],
  ['Seattle, WA', 47.60356, -122.32944], ['Minneapolis, MN', 44.97903, -93.26493],
  ['New Orleans, LA', 29.95369, -90.07771], ['Athens, GA', 33.95977, -83.37694],
  ['Boston, MA', 42.35888, -71.05682], ['Philadelphia, PA', 39.95227, -75.16237],
  ['Gainesville, FL', 29.65163, -82.32483], ['Denver, CO', 39.74001, -104.99226],
  ['London, England', 51.50632, -0.12714], ['Manchester, England', 53.47962, -2.24881],
  ['Glasgow, Scotland', 55.85753, -4.24251], ['Dublin, Ireland', 53.34376, -6.24953],
  ['Toronto, Ontario, Canada', 43.64856, -79.38533], ['Montréal, Québec, Canada', 45.51228, -73.55439],
  ['Berlin, Germany', 52.51607, 13.37698], ['Hamburg, Germany', 53.55334, 9.99245],
  ['Paris, France', 48.85692, 2.34121], ['Stockholm, Sweden', 59.33217, 18.06243],
  ['Reykjavík, Iceland', 64.13548, -21.89541], ['Kingston, Jamaica', 17.99702, -76.79358],
  ['São Paulo, Brazil', -23.56287, -46.65488], ['Havana, Cuba', 23.1168, -82.38858],
  ['Lagos, Nigeria', 6.44262, 3.39197], ['Sydney, Australia', -33.86963, 151.20695],
  ['Tokyo, Japan', 35.68395, 139.75983], ['Mexico City, Mexico', 19.43194, -99.13306],
  ['Dubai, UAE', 25.20485, 55.27078], ['Zagreb, Croatia', 45.81502, 15.98192],
  ['Denmark', 56.26392, 9.50178], ['Ohio', 40.41958, -82.90743], ['Texas', 31.1689, -100.07715],
];
