// The frozen default exclusion list (docs/algorithm.md section 8), with the
// reasons explain gives, as the Python library's _defaults.py has them.

const BROWSER = [
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
  512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
  995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668,
  6669, 6679, 6697, 10080,
];
const BROWSER_REASON = "blocked by browsers (WHATWG Fetch 'bad port' list)";

export const DEFAULT_RANGE = [20000, 29999];
export const DEFAULT_ENV = 'default';
export const MAX_INSTANCES = 1000;

/** [low, high, reason] triples, in the Python library's order. */
export const DEFAULT_EXCLUSIONS = Object.freeze([
  ...BROWSER.map((port) => [port, port, BROWSER_REASON]),
  [20000, 20000, "DNP3 (IANA 'dnp') and Usermin"],
  [22000, 22000, 'Syncthing sync protocol'],
  [24007, 24008, 'GlusterFS daemon and management'],
  [24224, 24224, 'Fluentd / Fluent Bit forward input'],
  [25565, 25565, 'Minecraft Java server'],
  [25575, 25575, 'Minecraft RCON'],
  [25672, 25672, 'RabbitMQ inter-node and CLI tools'],
  [26257, 26257, 'CockroachDB'],
  [27000, 27000, 'FlexLM license manager'],
  [27015, 27015, 'Source engine / Steam game servers'],
  [27017, 27019, 'MongoDB'],
  [28015, 28015, 'RethinkDB client driver'],
  [28017, 28017, 'MongoDB legacy HTTP status'],
  [29015, 29015, 'RethinkDB intra-cluster'],
  [3000, 3000, 'Next.js, Rails, Grafana dev servers'],
  [3306, 3306, 'MySQL'],
  [4173, 4173, 'Vite preview'],
  [4200, 4200, 'Angular dev server'],
  [5000, 5000, 'Flask dev server; macOS AirPlay receiver'],
  [5173, 5173, 'Vite dev server'],
  [5432, 5432, 'PostgreSQL'],
  [6379, 6379, 'Redis'],
  [8000, 8000, 'Django dev server'],
  [8080, 8080, 'HTTP alternate (many servers)'],
  [8888, 8888, 'Jupyter'],
  [9000, 9000, 'MinIO and others'],
  [9090, 9090, 'Prometheus'],
  [9092, 9092, 'Kafka'],
  [9200, 9200, 'Elasticsearch'],
  [11211, 11211, 'memcached'],
  [11434, 11434, 'Ollama'],
  [15672, 15672, 'RabbitMQ management'],
  [16686, 16686, 'Jaeger UI'],
]);
