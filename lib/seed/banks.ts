/**
 * Word and sentence banks for the demo content. Everything is plain ASCII so
 * that a post's length in characters is its size in bytes.
 *
 * Templates use `{placeholders}` filled by `generate.ts`:
 *   {noun} {noun2}  two different noun phrases of the post's topic (read after "the")
 *   {tool} {tool2}  two different tools of the topic
 *   {activity}      what the topic is about, as a gerund phrase
 *   {link}          a Markdown link from the topic's reading list
 *   {duration}      "a few weeks", "two years", ...
 *   {number}        a small number
 * A placeholder written with a capital letter ({Noun}, {Tool}) is capitalized.
 */

export interface Topic {
  readonly activity: string;
  readonly nouns: readonly string[];
  readonly tools: readonly string[];
  readonly links: readonly { readonly text: string; readonly url: string }[];
  readonly snippets: readonly { readonly lang: string; readonly code: string }[];
}

export const TOPICS: readonly Topic[] = [
  {
    activity: "caching web pages",
    nouns: ["cache key", "hit ratio", "invalidation strategy", "time to live", "warm-up path", "fallback path", "eviction policy"],
    tools: ["Redis", "Memcached", "a CDN", "an in-process LRU"],
    links: [
      { text: "the Redis documentation", url: "https://redis.io/docs/latest/" },
      { text: "MDN's page on HTTP caching", url: "https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching" },
      { text: "the RFC on HTTP caching", url: "https://www.rfc-editor.org/rfc/rfc9111" },
    ],
    snippets: [
      {
        lang: "ts",
        code: 'async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {\n  const hit = await redis.get(key);\n  if (hit !== null) return JSON.parse(hit) as T;\n  const value = await load();\n  await redis.set(key, JSON.stringify(value), "EX", 300);\n  return value;\n}',
      },
      { lang: "sh", code: "redis-cli --stat\nredis-cli info stats | grep keyspace" },
    ],
  },
  {
    activity: "tuning PostgreSQL",
    nouns: ["query plan", "index", "connection pool", "vacuum schedule", "slow query log", "row estimate", "migration"],
    tools: ["EXPLAIN ANALYZE", "pg_stat_statements", "PgBouncer", "psql"],
    links: [
      { text: "the PostgreSQL docs on indexes", url: "https://www.postgresql.org/docs/current/indexes.html" },
      { text: "the guide to EXPLAIN", url: "https://www.postgresql.org/docs/current/using-explain.html" },
      { text: "Use The Index, Luke", url: "https://use-the-index-luke.com/" },
    ],
    snippets: [
      {
        lang: "sql",
        code: "CREATE INDEX CONCURRENTLY post_date_idx\n  ON post (date_added DESC, id DESC);\n\nEXPLAIN (ANALYZE, BUFFERS)\nSELECT id, title FROM post\nORDER BY date_added DESC, id DESC\nLIMIT 20;",
      },
      { lang: "sql", code: "SELECT query, calls, mean_exec_time\nFROM pg_stat_statements\nORDER BY mean_exec_time DESC\nLIMIT 10;" },
    ],
  },
  {
    activity: "writing TypeScript",
    nouns: ["type definition", "compiler setting", "union type", "module boundary", "error type", "build step", "generic helper"],
    tools: ["the TypeScript compiler", "zod", "ESLint", "tsx"],
    links: [
      { text: "the TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "the tsconfig reference", url: "https://www.typescriptlang.org/tsconfig/" },
      { text: "the zod docs", url: "https://zod.dev/" },
    ],
    snippets: [
      {
        lang: "ts",
        code: 'type Result<T> =\n  | { ok: true; value: T }\n  | { ok: false; error: string };\n\nfunction parsePort(raw: string): Result<number> {\n  const port = Number(raw);\n  return Number.isInteger(port) && port > 0\n    ? { ok: true, value: port }\n    : { ok: false, error: "not a port" };\n}',
      },
      { lang: "json", code: '{\n  "compilerOptions": {\n    "strict": true,\n    "noUncheckedIndexedAccess": true\n  }\n}' },
    ],
  },
  {
    activity: "building React apps",
    nouns: ["component tree", "server component", "loading state", "form action", "render count", "data fetch", "client bundle"],
    tools: ["React", "Next.js", "React Query", "the React DevTools"],
    links: [
      { text: "the React docs", url: "https://react.dev/learn" },
      { text: "the Next.js documentation", url: "https://nextjs.org/docs" },
      { text: "TanStack Query's guides", url: "https://tanstack.com/query/latest/docs/framework/react/overview" },
    ],
    snippets: [
      {
        lang: "tsx",
        code: "export function LikeButton({ count }: { count: number }) {\n  const [likes, setLikes] = useState(count);\n  return (\n    <button onClick={() => setLikes((n) => n + 1)}>\n      {likes} likes\n    </button>\n  );\n}",
      },
      { lang: "sh", code: "npx next build\nnpx next start --port 3000" },
    ],
  },
  {
    activity: "testing software",
    nouns: ["test suite", "flaky test", "fixture", "assertion", "integration test", "test database", "coverage report"],
    tools: ["Vitest", "Playwright", "a CI pipeline", "a local Docker setup"],
    links: [
      { text: "the Vitest guide", url: "https://vitest.dev/guide/" },
      { text: "Playwright's best practices", url: "https://playwright.dev/docs/best-practices" },
      { text: "Martin Fowler's notes on the test pyramid", url: "https://martinfowler.com/articles/practical-test-pyramid.html" },
    ],
    snippets: [
      {
        lang: "ts",
        code: 'import { describe, expect, it } from "vitest";\n\ndescribe("slugify", () => {\n  it("lowercases and joins words", () => {\n    expect(slugify("Hello World")).toBe("hello-world");\n  });\n});',
      },
      { lang: "sh", code: "npx vitest run --reporter=dot\nnpx playwright test --retries=0" },
    ],
  },
  {
    activity: "running services in production",
    nouns: ["dashboard", "alert", "latency budget", "log line", "request trace", "error rate", "on-call rotation"],
    tools: ["OpenTelemetry", "Grafana", "structured logging", "a status page"],
    links: [
      { text: "the OpenTelemetry docs", url: "https://opentelemetry.io/docs/" },
      { text: "the Google SRE book", url: "https://sre.google/sre-book/table-of-contents/" },
      { text: "Grafana's getting-started guide", url: "https://grafana.com/docs/grafana/latest/getting-started/" },
    ],
    snippets: [
      {
        lang: "ts",
        code: 'logger.info(\n  { requestId, route: "/api/posts", durationMs, status },\n  "request finished",\n);',
      },
      { lang: "yaml", code: "alert: HighErrorRate\nexpr: rate(http_errors_total[5m]) > 0.05\nfor: 10m\nlabels:\n  severity: page" },
    ],
  },
  {
    activity: "baking sourdough",
    nouns: ["starter", "hydration", "bulk ferment", "crumb", "crust", "shaping step", "overnight proof"],
    tools: ["a Dutch oven", "a digital scale", "a banneton", "an instant-read thermometer"],
    links: [
      { text: "the Wikipedia article on sourdough", url: "https://en.wikipedia.org/wiki/Sourdough" },
      { text: "King Arthur's sourdough guide", url: "https://www.kingarthurbaking.com/recipes/sourdough" },
      { text: "The Perfect Loaf", url: "https://www.theperfectloaf.com/" },
    ],
    snippets: [
      {
        lang: "python",
        code: "def hydration(flour_g: float, water_g: float) -> float:\n    return round(100 * water_g / flour_g, 1)\n\nprint(hydration(500, 375))  # 75.0",
      },
      { lang: "text", code: "09:00  feed starter 1:5:5\n13:00  mix, autolyse 45 min\n14:00  four sets of folds\n18:00  shape, fridge overnight" },
    ],
  },
  {
    activity: "training for a half marathon",
    nouns: ["long run", "easy pace", "recovery day", "training plan", "cadence", "race-day routine", "weekly mileage"],
    tools: ["a GPS watch", "a heart-rate strap", "a foam roller", "a simple spreadsheet"],
    links: [
      { text: "the Wikipedia article on the half marathon", url: "https://en.wikipedia.org/wiki/Half_marathon" },
      { text: "parkrun", url: "https://www.parkrun.com/" },
      { text: "this overview of aerobic training", url: "https://en.wikipedia.org/wiki/Aerobic_exercise" },
    ],
    snippets: [
      {
        lang: "json",
        code: '{\n  "week": 6,\n  "runs": [\n    { "day": "Tue", "km": 6, "pace": "easy" },\n    { "day": "Thu", "km": 8, "pace": "tempo" },\n    { "day": "Sun", "km": 16, "pace": "easy" }\n  ]\n}',
      },
      { lang: "js", code: "const pace = (minutes, km) => (minutes / km).toFixed(2);\nconsole.log(pace(105, 21.1)); // 4.98 min/km" },
    ],
  },
  {
    activity: "growing vegetables",
    nouns: ["raised bed", "compost heap", "watering schedule", "seed tray", "tomato crop", "soil test", "crop rotation"],
    tools: ["a soil thermometer", "drip irrigation", "a cold frame", "a garden notebook"],
    links: [
      { text: "the RHS advice pages", url: "https://www.rhs.org.uk/advice" },
      { text: "the Wikipedia article on crop rotation", url: "https://en.wikipedia.org/wiki/Crop_rotation" },
      { text: "this guide to composting", url: "https://en.wikipedia.org/wiki/Compost" },
    ],
    snippets: [
      { lang: "yaml", code: "beds:\n  north:\n    spring: [peas, lettuce]\n    summer: [beans]\n  south:\n    spring: [radish]\n    summer: [tomatoes, basil]" },
      { lang: "sh", code: "# water the south bed at 6am, twice a week\n0 6 * * 1,4 /usr/local/bin/valve open south 20m" },
    ],
  },
  {
    activity: "brewing coffee at home",
    nouns: ["grind size", "brew ratio", "water temperature", "bloom", "extraction time", "bean freshness", "morning routine"],
    tools: ["a burr grinder", "a pour-over dripper", "an AeroPress", "a gooseneck kettle"],
    links: [
      { text: "the Wikipedia article on coffee preparation", url: "https://en.wikipedia.org/wiki/Coffee_preparation" },
      { text: "this primer on extraction", url: "https://en.wikipedia.org/wiki/Coffee_extraction" },
      { text: "the AeroPress site", url: "https://aeropress.com/" },
    ],
    snippets: [
      {
        lang: "js",
        code: "function water(grams, ratio = 16) {\n  return Math.round(grams * ratio);\n}\nconsole.log(water(18)); // 288 g of water",
      },
      { lang: "text", code: "0:00  bloom with 50 g\n0:45  pour to 150 g\n1:30  pour to 288 g\n3:00  done" },
    ],
  },
  {
    activity: "travelling by train",
    nouns: ["itinerary", "night train", "seat reservation", "connection time", "rail pass", "packing list", "border crossing"],
    tools: ["a rail planner app", "a paper timetable", "a small backpack", "a power bank"],
    links: [
      { text: "The Man in Seat Sixty-One", url: "https://www.seat61.com/" },
      { text: "the Wikipedia article on night trains", url: "https://en.wikipedia.org/wiki/Night_train" },
      { text: "this list of rail passes", url: "https://en.wikipedia.org/wiki/Rail_pass" },
    ],
    snippets: [
      { lang: "yaml", code: "- from: Paris\n  to: Milan\n  depart: 08:27\n  seat: 42\n- from: Milan\n  to: Venice\n  depart: 15:05\n  seat: none" },
      { lang: "text", code: "passport, tickets, charger\n2 shirts, 1 sweater, socks\nbook, earplugs, snacks" },
    ],
  },
  {
    activity: "shooting film photography",
    nouns: ["exposure", "light meter", "film stock", "contact sheet", "development time", "composition", "scanning setup"],
    tools: ["a 35mm rangefinder", "a handheld meter", "a changing bag", "exiftool"],
    links: [
      { text: "the Wikipedia article on the exposure triangle", url: "https://en.wikipedia.org/wiki/Exposure_(photography)" },
      { text: "the Massive Dev Chart", url: "https://www.digitaltruth.com/devchart.php" },
      { text: "the exiftool documentation", url: "https://exiftool.org/" },
    ],
    snippets: [
      { lang: "sh", code: 'exiftool -Make="Leica" -Model="M6" \\\n  -FilmStock="HP5 Plus" scans/*.tif' },
      { lang: "text", code: "HP5 Plus @ 400, D-76 1+1\n20 C, 13 min\nagitate 10 s every minute" },
    ],
  },
];

export const DURATIONS: readonly string[] = ["a few weeks", "two months", "about half a year", "a little over a year", "two years", "most of a season"];

export const TITLE_TEMPLATES: readonly string[] = [
  "What {duration} of {activity} taught me about the {noun}",
  "A practical guide to the {noun}",
  "{number} things I wish I had known about the {noun}",
  "Why your {noun} is probably wrong (and how to fix it)",
  "Notes on the {noun} and the {noun2}",
  "The case for a simpler {noun}",
  "Lessons from a month of {activity}",
  "Getting started with {tool}",
  "How I stopped worrying about the {noun}",
  "The {noun}, explained without jargon",
  "A week with {tool}: first impressions",
  "Rethinking the {noun} from scratch",
  "Small habits that improved my {noun}",
  "Everything I got wrong about {activity}",
  "The {noun} checklist I actually use",
  "From zero to a reliable {noun}",
];

export const TITLE_SUFFIXES: readonly string[] = [" (part 2)", " (revisited)", ": a follow-up"];

export const INTRO_SENTENCES: readonly string[] = [
  "This post is about the {noun}, a topic I have been meaning to write up for a while.",
  "A few readers asked how I approach {activity}, so here is the long answer.",
  "Last month I finally sat down and rethought how I handle the {noun}.",
  "I want to share what worked, what did not, and what I would try next.",
  "This started as a note to myself and grew into something longer.",
  "If you are new to {activity}, this should save you a few weekends.",
];

/** One of these appears in every intro, so every post has emphasis. */
export const EMPHASIS_SENTENCES: readonly string[] = [
  "The {noun} is *not* the hard part; consistency is.",
  "This is **the** lesson I keep relearning: start with the {noun}.",
  "Above all, *write down what you changed* before you change it again.",
  "The rule I follow now is simple: **never** change the {noun} and the {noun2} on the same day.",
  "It turns out the {noun} matters *a lot* more than the tools you pick.",
  "If you take one thing away, let it be this: **small steps win**.",
];

/** One of these appears in every post, so every post has a link. */
export const LINK_SENTENCES: readonly string[] = [
  "The documentation is decent, and {link} covers the details better than I can.",
  "For a deeper dive, {link} is worth an evening.",
  "I learned most of this from {link}, which I still reread now and then.",
  "If you want the background, start with {link}.",
];

export const BODY_SENTENCES: readonly string[] = [
  "I have been {activity} for {duration} now, and the {noun} still surprises me.",
  "Most advice about the {noun} is either too vague or too specific to be useful.",
  "The short version: get the {noun} right first, and the {noun2} tends to follow.",
  "It took me an embarrassingly long time to notice how much the {noun} matters.",
  "When something goes wrong, the {noun} is the first place I look.",
  "{Tool} helped here, but only after I stopped fighting its defaults.",
  "There is no single right answer, only trade-offs you can live with.",
  "I kept a small log for {duration}, and the pattern was hard to miss.",
  "The {noun} and the {noun2} are more connected than they first appear.",
  "A friend who has done this far longer than me put it simply: be boring on purpose.",
  "Nothing here is new, but it is easy to forget when you are in a hurry.",
  "If you change one thing at a time, the results are much easier to read.",
  "My first attempt at the {noun} was, frankly, a mess.",
  "The second attempt went better, mostly because I wrote things down.",
  "I now spend about {number} minutes on the {noun} before anything else.",
  "It is tempting to reach for {tool} straight away, but try the simple version first.",
  "Good defaults beat clever tricks almost every time.",
  "Once the {noun} was stable, the {noun2} stopped being a problem.",
  "The hard part is not the {noun} itself but knowing when to stop adjusting it.",
  "Measure before and after; your intuition will lie to you at least once.",
  "People often ask whether {tool} is worth it, and my answer is that it depends on the {noun}.",
  "The difference was small on paper and huge in practice.",
  "I would rather have a predictable {noun} than a fancy one that fails at random.",
  "This is the part most guides skip, so let me spell it out.",
  "Small, regular improvements added up faster than I expected.",
  "Keep notes, even rough ones, because future you will not remember the details.",
  "The {noun} deserves more attention than it usually gets.",
  "After {duration}, the routine feels natural rather than forced.",
  "Every mistake I made here was a useful one, in hindsight.",
  "Compare that with the {noun2}, which barely needed any care at all.",
  "I was skeptical at first, but the numbers changed my mind.",
  "Two things made the biggest difference: patience and a better {noun}.",
  "None of this requires expensive gear or a big budget.",
  "The trick is to treat the {noun} as something you tune, not something you set once.",
  "Of course, your situation may differ, so take this as a starting point.",
  "Writing it down forced me to understand what I was actually doing.",
  "The {noun} looked fine until the day it very much was not.",
  "I tried {tool} and {tool2} side by side, and both had their place.",
  "Looking back, I overthought the {noun} and underthought the {noun2}.",
  "It is worth checking the {noun} again after any big change.",
];

export const CODE_INTROS: readonly string[] = [
  "Here is the snippet I keep coming back to:",
  "This is the small piece that does most of the work:",
  "A minimal version looks like this:",
  "I keep this in my notes and copy it every time:",
  "Stripped down to the essentials, it is only a few lines:",
];

export const LIST_INTROS: readonly string[] = [
  "Here is what I do now, roughly in order:",
  "A few rules of thumb that have held up:",
  "The checklist is short:",
  "What changed for me:",
];

export const LIST_ITEMS: readonly string[] = [
  "Start with the {noun} and leave the {noun2} for later.",
  "Write down every change, however small.",
  "Use {tool} only when the simple approach stops working.",
  "Keep the {noun} boring and predictable.",
  "Review the results after {duration}, not before.",
  "Ask someone else to look at your {noun}.",
  "Do not tune two things at once.",
  "Expect the first attempt to fail, and plan for it.",
  "Compare against a baseline you trust.",
  "**Measure** first, then decide.",
  "Check the {noun} whenever the {noun2} changes.",
  "Give the {noun} a few days before judging it.",
  "Learn what {tool} does by default before changing it.",
  "Keep a *short* list of things to try next.",
];

export const SECTION_HEADINGS: readonly string[] = [
  "Why the {noun} matters",
  "Getting the {noun} right",
  "A closer look at the {noun}",
  "What I tried first",
  "What actually worked",
  "The {noun} in practice",
  "Common mistakes",
  "Where {tool} fits in",
  "A simple setup",
  "Measuring the {noun}",
  "Trade-offs",
  "The routine I use now",
];

export const CLOSING_HEADINGS: readonly string[] = ["Wrapping up", "What I would do differently", "Next steps", "Final thoughts", "Takeaways"];

export const CLOSING_SENTENCES: readonly string[] = [
  "That is where things stand for now; I will post an update once I have more data.",
  "If you try any of this, I would love to hear how it goes.",
  "None of it is magic, just steady habits and a bit of curiosity.",
  "Next time I want to dig into the {noun2}, which deserves its own post.",
  "Thanks for reading, and feel free to disagree in the comments.",
];

/** One sentence each: a comment is 1-3 of them. */
export const COMMENT_SENTENCES: readonly string[] = [
  "Great write-up, thanks for sharing.",
  "I had the same problem with the {noun} last month.",
  "If you have not tried {tool} yet, it made a big difference for us.",
  "The part about the {noun} finally made it click for me.",
  "Bookmarked this for the next time I get stuck.",
  "I would love a follow-up on the {noun2}.",
  "Small nit: the list could use an example or two.",
  "We do almost exactly this, and it holds up well.",
  "Not sure I agree about the {noun}, but the rest is spot on.",
  "This is the clearest explanation of the {noun} I have read.",
  "How long did it take before you saw results?",
  "Counterpoint: sometimes the simple approach is enough.",
  "The snippet alone was worth the read.",
  "I showed this to a friend who is just getting into {activity}.",
  "Funny, I came to the opposite conclusion about {tool}.",
  "Thanks, this saved me an afternoon.",
  "Could you share more about your setup?",
  "I tried this over the weekend and it worked on the first go.",
  "The bit about changing one thing at a time is so true.",
  "Any thoughts on the {noun2}, which is where I always struggle?",
  "Well written and easy to follow.",
  "I think the {noun} deserves a post of its own.",
  "This matches my experience after {duration} of {activity}.",
  "Looking forward to the next one.",
];

export const FIRST_NAMES: readonly string[] = [
  "Ada", "Aiden", "Aisha", "Alejandro", "Amara", "Amelia", "Ana", "Andre", "Anika", "Arjun",
  "Astrid", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Daniel", "Dara", "David", "Diego",
  "Elena", "Eli", "Emeka", "Emma", "Farah", "Felix", "Fatima", "Gabriel", "Grace", "Hana",
  "Hannah", "Hugo", "Ibrahim", "Ines", "Isaac", "Ivy", "Jade", "Jamal", "James", "Jasmine",
  "Javier", "Jonas", "Julia", "Kai", "Kenji", "Kiara", "Lars", "Layla", "Leo", "Liam",
  "Lina", "Lucas", "Lucia", "Maya", "Mateo", "Mei", "Mia", "Mohammed", "Nadia", "Naomi",
  "Nia", "Nikolai", "Noah", "Nora", "Olga", "Oliver", "Omar", "Priya", "Rafael", "Ravi",
  "Rosa", "Ruby", "Sam", "Samir", "Sara", "Sebastian", "Sofia", "Sven", "Tariq", "Thea",
  "Theo", "Tomas", "Uma", "Valentina", "Victor", "Wei", "Willa", "Xavier", "Yara", "Yusuf",
  "Zara", "Zoe", "Ayo", "Beatriz", "Camille", "Dmitri", "Erin", "Freya", "Gustavo", "Hiro",
];

export const LAST_NAMES: readonly string[] = [
  "Abara", "Adams", "Ahmed", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brown", "Campbell",
  "Castillo", "Chen", "Clarke", "Costa", "Cruz", "Das", "Dubois", "Edwards", "Eriksson", "Evans",
  "Fischer", "Fernandes", "Garcia", "Gomez", "Gupta", "Haddad", "Hansen", "Hernandez", "Hoffmann", "Hughes",
  "Ibrahim", "Ito", "Jensen", "Johnson", "Kaur", "Khan", "Kim", "Kowalski", "Kumar", "Larsen",
  "Lee", "Lopez", "Martin", "Martinez", "Meyer", "Mendes", "Moreau", "Murphy", "Nakamura", "Nguyen",
  "Novak", "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Perez", "Petrov", "Popescu", "Quinn",
  "Rahman", "Ramos", "Reyes", "Rossi", "Santos", "Sato", "Schmidt", "Silva", "Singh", "Smith",
  "Sousa", "Suzuki", "Tanaka", "Taylor", "Thomas", "Torres", "Tran", "Turner", "Varga", "Vasquez",
  "Wagner", "Walker", "Wang", "Watanabe", "Weber", "White", "Williams", "Wilson", "Wong", "Wright",
  "Yamamoto", "Yang", "Young", "Zhang", "Zhou", "Zimmermann", "Mensah", "Osei", "Lindqvist", "Horvat",
];
